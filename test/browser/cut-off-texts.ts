// Finds text a user cannot read whole: an element whose text overflows a box that hides it, a placeholder wider than
// its empty input, a choice wider than its closed select. Measured in the page, with the fonts the page really uses.
import type { Page } from 'playwright-core';

// Plain JavaScript, run in the page as written: the test's TypeScript transform would add helpers the page lacks.
const IN_PAGE = `(selector) => {
  const found = [];
  const canvas = document.createElement('canvas').getContext('2d');
  function textWidth(text, element) {
    const style = getComputedStyle(element);
    canvas.font = style.fontStyle + ' ' + style.fontWeight + ' ' + style.fontSize + ' ' + style.fontFamily;
    return canvas.measureText(text).width;
  }
  function room(element, extra) {
    const style = getComputedStyle(element);
    return element.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight) - (extra || 0);
  }
  function visible(element) {
    return element.offsetParent !== null && element.getClientRects().length > 0;
  }
  for (const top of Array.from(document.querySelectorAll(selector))) {
    if (!visible(top)) continue;
    for (const element of [top, ...Array.from(top.querySelectorAll('*'))]) {
      if (!visible(element)) continue;
      const name = element.tagName.toLowerCase() + (element.id ? '#' + element.id : '');
      if (element instanceof HTMLInputElement) {
        const typed = element.type === 'text' || element.type === 'password';
        if (typed && element.value === '' && element.placeholder && textWidth(element.placeholder, element) > room(element)) {
          found.push(name + ' placeholder "' + element.placeholder + '"');
        }
        continue;
      }
      if (element instanceof HTMLSelectElement) {
        // The arrow of a closed select takes about 20 px.
        for (const option of Array.from(element.options)) {
          if (textWidth(option.text, element) > room(element, 20)) found.push(name + ' choice "' + option.text + '"');
        }
        continue;
      }
    }
    // Every text node, against each ancestor that clips what overflows it.
    const walker = document.createTreeWalker(top, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const text = (node.textContent || '').trim();
      const parent = node.parentElement;
      if (!text || !parent || !visible(parent)) continue;
      const range = document.createRange();
      range.selectNodeContents(node);
      const box = range.getBoundingClientRect();
      for (let ancestor = parent; ancestor && ancestor !== document.body; ancestor = ancestor.parentElement) {
        const style = getComputedStyle(ancestor);
        if (!['hidden', 'clip'].includes(style.overflowX) && style.textOverflow !== 'ellipsis') continue;
        const edge = ancestor.getBoundingClientRect();
        // What overflows is clipped at the padding box: inside the borders.
        if (box.right > edge.right - parseFloat(style.borderRightWidth) + 1 || box.left < edge.left + parseFloat(style.borderLeftWidth) - 1) {
          found.push(ancestor.tagName.toLowerCase() + (ancestor.id ? '#' + ancestor.id : '') + ' cuts "' + text.slice(0, 80) + '"');
          break;
        }
      }
    }
  }
  return found;
}`;

/** Descriptions of every cut-off text inside the visible elements matching `root`; empty when all can be read. */
export async function cutOffTexts(page: Page, root: string): Promise<string[]> {
  return page.evaluate(`(${IN_PAGE})(${JSON.stringify(root)})`) as Promise<string[]>;
}
