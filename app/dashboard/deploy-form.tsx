import { ActionForm, paths } from './components.js';
import type { StageView } from './stage-view.js';

/**
 * Deploy a version: a tag (typed, or picked from the registry's tags, which the picker script
 * lists newest first with digest, age and matching stages), an optional digest, and the stage
 * (fixed on a stage page, by tag pattern or chosen on the project page).
 */
export function DeployForm(props: { project: string; stages: StageView[]; csrf: string; stage?: string }) {
  const { project, stages, csrf, stage } = props;
  const pinned = stage === undefined ? undefined : stages.find((s) => s.stage === stage);
  return (
    <ActionForm
      action={paths.deployAction(project)}
      csrf={csrf}
      confirm={`Deploy ${project}:{tag} to {stage}?`}
      label="Deploy"
    >
      <label>
        Tag
        <input
          name="tag"
          required
          maxlength={128}
          pattern="[A-Za-z0-9_][A-Za-z0-9_.\-]{0,127}"
          placeholder={pinned ? `e.g. ${pinned.tagPattern.replaceAll('*', '1')}` : 'e.g. v1.4.2'}
          autocomplete="off"
        />
      </label>
      <label class="wide">
        <span>
          Digest <span class="muted">(optional)</span>
        </span>
        <input
          name="digest"
          maxlength={71}
          pattern="sha256:[a-f0-9]{64}"
          placeholder="sha256:… runs exactly this image"
          autocomplete="off"
          class="mono"
        />
      </label>
      {pinned ? (
        <input type="hidden" name="stage" value={pinned.stage} />
      ) : (
        <label>
          Stage
          <select name="stage">
            <option value="">by tag pattern</option>
            {stages.map((s) => (
              <option
                value={s.stage}
              >{`${s.stage} (${s.promoteFrom ? `from ${s.promoteFrom}` : s.tagPattern})`}</option>
            ))}
          </select>
        </label>
      )}
      <div
        class="tag-picker"
        data-tags={paths.imageTags(project)}
        data-stage={pinned?.stage ?? ''}
        aria-live="polite"
      >
        <p class="muted">Loading the image's tags from the registry…</p>
      </div>
    </ActionForm>
  );
}
