// The validators' messages, written under their fields as the user types, from the same functions that give Node-RED
// its red border, red triangle and deploy warning: one check, seen in every place. A tab that hides a wrong field is
// marked, so nothing wrong stays out of sight.

interface Validated {
  validate?: (this: unknown, value: string, opt?: unknown) => unknown;
}

interface EditedNode {
  _def: { defaults: Record<string, Validated>; credentials?: Record<string, Validated> };
}

/**
 * Fills every `.multicast-bus-message[data-for=<field>]` element with that field's validator message, on every change
 * of a `<prefix>-…` input; marks tabs (by `a[href="#<tab id>"]`) whose content holds a message. `afterRefresh` runs
 * after each pass (for warnings that are not errors). Returns the refresh, for fields changed from code.
 */
export function showFieldMessages(node: unknown, prefix: string, container: string, afterRefresh?: () => void): () => void {
  const { defaults, credentials = {} } = (node as EditedNode)._def;
  const messages = $(`${container} .multicast-bus-message[data-for]`).css({
    'margin-left': '105px',
    color: 'var(--red-ui-text-color-error, #d00)',
    'font-size': '0.9em',
  });
  const refresh = () => {
    messages.each(function () {
      const field = String($(this).attr('data-for'));
      const spec = defaults[field] ?? credentials[field];
      const input = $(`#${prefix}-${field}`);
      const result = spec?.validate && input.length > 0 ? spec.validate.call(node, String(input.val() ?? ''), {}) : true;
      $(this).text(typeof result === 'string' ? result : '');
    });
    $(container)
      .children('[id]')
      .each(function () {
        const wrong = $(this)
          .find('.multicast-bus-message')
          .toArray()
          .some((element) => $(element).text() !== '');
        $(`a[href="#${this.id}"]`).css('color', wrong ? 'var(--red-ui-text-color-error, #d00)' : '');
      });
    afterRefresh?.();
  };
  $(`[id^="${prefix}-"]`).on('input change', refresh);
  refresh();
  return refresh;
}
