const MANIFEST_V2 = 'application/vnd.docker.distribution.manifest.v2+json';

/**
 * Points `tag` of `repository` at the manifest `digest` through the registry API (a push of a
 * manifest that is already there): much faster than `docker push` for tests needing many tags.
 */
export async function tagInRegistry(
  registry: string,
  repository: string,
  digest: string,
  tag: string,
  login?: { username: string; password: string },
): Promise<void> {
  const headers: Record<string, string> = {};
  if (login)
    headers.authorization = `Basic ${Buffer.from(`${login.username}:${login.password}`).toString('base64')}`;
  const url = `http://${registry}/v2/${repository}/manifests`;
  const got = await fetch(`${url}/${digest}`, { headers: { ...headers, accept: MANIFEST_V2 } });
  if (!got.ok) throw new Error(`GET manifest ${digest} from ${registry}/${repository}: ${got.status}`);
  const body = await got.arrayBuffer();
  const put = await fetch(`${url}/${tag}`, {
    method: 'PUT',
    headers: { ...headers, 'content-type': got.headers.get('content-type') ?? MANIFEST_V2 },
    body,
  });
  if (put.status !== 201)
    throw new Error(`PUT ${registry}/${repository}:${tag}: ${put.status} ${await put.text()}`);
}
