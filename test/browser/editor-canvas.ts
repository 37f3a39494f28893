// Moves in the Node-RED editor done the way a user does them, with the mouse: drag a node out of the palette, draw a
// wire from one port to another. Node-RED's own state is read back (RED.nodes) to name what was made.
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';

/** Drags a node of `type` from its palette category onto the canvas at (x, y) and returns the id Node-RED gave it. */
export async function dragFromPalette(page: Page, type: string, category: string, x: number, y: number): Promise<string> {
  const idsOfType = () => page.evaluate((t) => (window as any).RED.nodes.filterNodes({ type: t }).map((n: { id: string }) => n.id) as string[], type);
  const before = await idsOfType();
  const from = page.locator(`#red-ui-palette-${category} .red-ui-palette-node[data-palette-type="${type}"]`);
  await from.scrollIntoViewIfNeeded();
  const box = (await from.boundingBox())!;
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  await page.mouse.down();
  await page.mouse.move(x - 20, y - 20, { steps: 15 });
  await page.mouse.move(x, y, { steps: 5 });
  await page.mouse.up();
  const made = (await idsOfType()).filter((id) => !before.includes(id));
  assert.equal(made.length, 1, `one ${type} dropped on the canvas`);
  return made[0];
}

/** Draws a wire from the output of one canvas node to the input of another, and checks that Node-RED made the link. */
export async function wire(page: Page, fromId: string, toId: string): Promise<void> {
  const centre = async (selector: string) => {
    const box = (await page.locator(selector).first().boundingBox())!;
    return { x: box.x + box.width / 2, y: box.y + box.height / 2 };
  };
  const start = await centre(`[id="${fromId}"] .red-ui-flow-port-output`);
  const end = await centre(`[id="${toId}"] .red-ui-flow-port-input`);
  await page.mouse.move(start.x, start.y);
  await page.mouse.down();
  await page.mouse.move(end.x, end.y, { steps: 15 });
  await page.mouse.up();
  const linked = await page.evaluate(
    ([from, to]) => (window as any).RED.nodes.filterLinks({ source: { id: from }, target: { id: to } }).length,
    [fromId, toId],
  );
  assert.equal(linked, 1, `a wire from ${fromId} to ${toId}`);
}
