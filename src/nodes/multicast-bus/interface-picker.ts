import { BUS_FIELDS } from '../../core/bus-fields';
import type { InterfaceChoice } from '../../core/interface-resolver';
import { CATALOG, isAddress } from '../../editor/field-validation';

const OTHER = '\u0000other';
const say = (key: string, params?: Record<string, string>) => RED._(`${CATALOG}:multicast-bus.iface.${key}`, params);

/**
 * The Interface field as a picker: OS default, all interfaces, each interface of the Node-RED host with its addresses,
 * or a name typed in. The saved value stays in `#node-config-input-iface`, shown only for a typed name. A name the
 * host does not have is a warning, not an error: a USB adapter or a VPN may bring it later, and the bus waits for it.
 */
export function setUpInterfacePicker(): void {
  const input = $('#node-config-input-iface');
  const select = $('#multicast-bus-iface-choice');
  const hint = $('#multicast-bus-iface-hint');
  let host: InterfaceChoice[] | undefined;

  const isKnown = (value: string) => host?.some((choice) => choice.name === value || choice.addresses.some((a) => a.address === value));
  const render = () => {
    const value = String(input.val() ?? '').trim();
    const known = isKnown(value);
    const osDefault = host?.find((choice) => choice.osDefault)?.name;
    select.empty();
    $('<option>')
      .val('')
      .text(osDefault ? say('osDefaultIs', { iface: osDefault }) : say('osDefault'))
      .appendTo(select);
    $('<option>').val('*').text(say('all')).appendTo(select);
    for (const choice of host ?? []) {
      const addresses = choice.addresses.map((a) => a.address).join(', ');
      $('<option>')
        .val(choice.name)
        .text(addresses ? `${choice.name} — ${addresses}` : choice.name)
        .appendTo(select);
    }
    // A name the host lacks may come later; a wrong one stays in the text box, where its error shows.
    if (BUS_FIELDS.iface.namePattern.test(value) && host && !known) {
      $('<option>')
        .val(value)
        .text(say('absent', { iface: value }))
        .appendTo(select);
    }
    $('<option>').val(OTHER).text(say('other')).appendTo(select);
    // An address, or a name while the host's list is loading, is shown as typed.
    const listed = select.find('option').filter((_, option) => $(option).val() === value).length > 0;
    select.val(listed ? value : OTHER);
    input.toggle(!listed);
    showHint(value, osDefault, known);
  };

  const showHint = (value: string, osDefault: string | undefined, known: boolean | undefined) => {
    hint.css('color', '');
    if (!host) return hint.text('');
    // Where the routing table cannot be read (not Linux) the dialog says nothing rather than guess.
    if (value === '') return hint.text(osDefault ? say('osDefaultHint', { iface: osDefault }) : '');
    if (value === '*') return hint.text(say('allHint'));
    const wellFormed = isAddress(value) || BUS_FIELDS.iface.namePattern.test(value);
    if (wellFormed && !known) {
      hint.css('color', 'var(--red-ui-text-color-warning, #b46a00)');
      return hint.text(say('absentHint', { iface: value }));
    }
    hint.text('');
  };

  select.on('change', () => {
    const chosen = String(select.val());
    if (chosen === OTHER) {
      input.show().trigger('focus');
      return;
    }
    input.val(chosen).trigger('change');
  });
  input.on('input change', () => {
    if (select.val() !== OTHER) render();
    else
      showHint(
        String(input.val() ?? '').trim(),
        host?.find((c) => c.osDefault)?.name,
        host?.some((c) => c.name === input.val()),
      );
  });

  render();
  $.getJSON('multicast-bus/interfaces', (interfaces: InterfaceChoice[]) => {
    host = interfaces;
    render();
  });
}
