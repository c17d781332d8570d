/// <reference lib="dom" />
/**
 * `@alternatefutures/routing-core/editor`: the `<af-route-editor>` web component. Importing this
 * module defines the element (once: a second copy of the package does not throw). Browser-only;
 * it loads Lit and the Node-free core (`./browser`), never the Node entry.
 */
import { AfRouteEditor } from './element.js';

export { AfRouteEditor, type EditorStatus, type RoutesChangeDetail } from './element.js';

if (typeof customElements !== 'undefined' && customElements.get('af-route-editor') === undefined) {
  customElements.define('af-route-editor', AfRouteEditor);
}

declare global {
  interface HTMLElementTagNameMap {
    'af-route-editor': AfRouteEditor;
  }
}
