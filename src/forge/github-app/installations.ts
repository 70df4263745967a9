import type { Store } from '../../store/store.js';

/**
 * Where a GitHub App is installed, as its `installation` and `installation_repositories`
 * webhooks said: repository (lowercase owner/name) to installation id, per forge, kept in the
 * store so a restart keeps it. An id of '' marks a repository removed from its installation.
 */
export interface InstallationRegistry {
  /** The installation of `repository`, when a webhook told; `null` when it was removed. */
  find(forge: string, repository: string): number | null | undefined;
  add(forge: string, installationId: number, account: string, repositories: readonly string[]): void;
  /** Repositories leave an installation; with `account`, the whole installation was deleted. */
  remove(forge: string, repositories: readonly string[], account?: string): void;
  /** The accounts the App was installed on (for errors naming where it is installed). */
  accounts(forge: string): string[];
}

const repoKey = (forge: string, repository: string) =>
  `github-app-installation:${forge}:${repository.toLowerCase()}`;
const accountsKey = (forge: string) => `github-app-accounts:${forge}`;

/** The registry over the store's key-value state. */
export function storeInstallations(store: Store): InstallationRegistry {
  const accounts = (forge: string): Record<string, number> => {
    const raw = store.getState(accountsKey(forge));
    return raw ? (JSON.parse(raw) as Record<string, number>) : {};
  };
  return {
    find(forge, repository) {
      const value = store.getState(repoKey(forge, repository));
      if (value === undefined) return undefined;
      return value === '' ? null : Number(value);
    },
    add(forge, installationId, account, repositories) {
      for (const repository of repositories)
        store.setState(repoKey(forge, repository), String(installationId));
      store.setState(accountsKey(forge), JSON.stringify({ ...accounts(forge), [account]: installationId }));
    },
    remove(forge, repositories, account) {
      for (const repository of repositories) store.setState(repoKey(forge, repository), '');
      if (account === undefined) return;
      const { [account]: _gone, ...rest } = accounts(forge);
      store.setState(accountsKey(forge), JSON.stringify(rest));
    },
    accounts: (forge) => Object.entries(accounts(forge)).map(([account, id]) => `${account} (${id})`),
  };
}
