import type * as editorClient from 'node-red__editor-client';

declare global {
  /** The editor's global RED object, as Node-RED provides it to every node's .html. */
  const RED: editorClient.RED;
}
