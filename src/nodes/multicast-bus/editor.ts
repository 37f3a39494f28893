import { BUS_FIELDS, fieldNumber, fieldText, inRange } from '../../core/bus-fields';
import { keyTextProblem } from '../../core/key-text';
import { showFieldMessages } from '../../editor/field-messages';
import {
  beginEditing,
  CATALOG,
  datagramFitsGroup,
  isAddress,
  isEditing,
  isMulticastGroup,
  rangeCheck,
  sourcesFitGroup,
  validator,
} from '../../editor/field-validation';
import { setUpDirectorySidebar } from './directory-sidebar';
import { setUpInterfacePicker } from './interface-picker';
import { StatisticsTab } from './statistics-tab';
import { setUpTestButton } from './test-button';

interface BusProperties {
  name: string;
  group: string;
  port: number;
  ttl: number;
  iface: string;
  loopback: boolean;
  announce: boolean;
  batch: boolean;
  framing: string;
  maxDatagram: number;
  maxMessage: number | string;
  rcvbuf: number | string;
  source: string;
  rejoin: number;
  security: string;
  replayWindow: number;
}

interface BusCredentials {
  key: string;
  previousKey: string;
}

/** The dialog of a bus: its validators read its fields for the bus being edited, every other bus its own values. */
const DIALOG = '#multicast-bus-tabs-content';

/** A field of the bus being validated, as typed in its open dialog or as saved on the node. */
function fieldOf(node: unknown, field: string): string {
  if (isEditing(node, DIALOG)) return String($(`#node-config-input-${field}`).val() ?? '').trim();
  return String((node as Record<string, unknown>)[field] ?? '').trim();
}

/**
 * A key of the bus being validated: typed in its dialog, '__PWRD__' when the runtime holds one, or undefined when the
 * editor cannot know (Node-RED never sends credentials with the flows; the runtime's status says if one is missing).
 */
function keyOf(node: unknown, field: 'key' | 'previousKey'): string | undefined {
  if (isEditing(node, DIALOG)) return String($(`#node-config-input-${field}`).val() ?? '');
  const credentials = (node as { credentials?: Record<string, unknown> }).credentials;
  if (!credentials) return undefined;
  if (typeof credentials[field] === 'string') return credentials[field] as string;
  return credentials[`has_${field}`] ? '__PWRD__' : '';
}

/** Why a typed key cannot be used, or undefined; a saved key ('__PWRD__') or one the editor cannot see is not judged. */
function typedKeyProblem(text: string | undefined): string | undefined {
  return text === undefined || text === '__PWRD__' ? undefined : keyTextProblem(text);
}

/** RED.tabs as Node-RED 4 has it (the published types describe an older API). */
interface EditorTabs {
  create(options: { id: string; onchange(tab: { id: string }): void }): { addTab(tab: { id: string; label: string }): void };
}

/** Credentials with validators, which Node-RED runs in the dialog (the published types predate them). */
type CheckedCredentials = Record<keyof BusCredentials, { type: 'password' }>;

const check = (key: string) => `multicast-bus.validation.${key}`;

// The Statistics tab of the bus dialog open now (one at a time): stopped as the dialog closes.
let statistics: StatisticsTab | undefined;
const STATISTICS_TAB = 'multicast-bus-tab-statistics';

RED.nodes.registerType<BusProperties, BusCredentials>('multicast-bus', {
  category: 'config',
  defaults: {
    name: { value: '' },
    // Empty fields take the default shown as the placeholder, in the editor as at runtime.
    group: {
      value: BUS_FIELDS.group.default,
      validate: validator(CATALOG, (v) => (v === '' || isMulticastGroup(v) ? undefined : check('group'))),
    },
    port: { value: BUS_FIELDS.port.default, validate: validator(CATALOG, rangeCheck('port', check('port'))) },
    ttl: { value: BUS_FIELDS.ttl.default, validate: validator(CATALOG, rangeCheck('ttl', check('ttl'))) },
    iface: {
      value: BUS_FIELDS.iface.default,
      validate: validator(CATALOG, (v) =>
        v === '' || v === '*' || isAddress(v) || BUS_FIELDS.iface.namePattern.test(v) ? undefined : check('iface'),
      ),
    },
    loopback: { value: BUS_FIELDS.loopback.default },
    announce: { value: BUS_FIELDS.announce.default },
    batch: { value: BUS_FIELDS.batch.default },
    framing: { value: BUS_FIELDS.framing.default },
    maxDatagram: {
      value: BUS_FIELDS.maxDatagram.default,
      validate: validator(CATALOG, (v, node) => (v === '' || datagramFitsGroup(v, fieldOf(node, 'group')) ? undefined : check('maxDatagram'))),
    },
    maxMessage: {
      value: fieldText('maxMessage', BUS_FIELDS.maxMessage.default),
      validate: validator(CATALOG, rangeCheck('maxMessage', check('maxMessage'))),
    },
    rcvbuf: { value: fieldText('rcvbuf', BUS_FIELDS.rcvbuf.default), validate: validator(CATALOG, rangeCheck('rcvbuf', check('rcvbuf'))) },
    source: {
      value: BUS_FIELDS.source.default,
      validate: validator(CATALOG, (v, node) => (sourcesFitGroup(v, fieldOf(node, 'group')) ? undefined : check('source'))),
    },
    rejoin: { value: BUS_FIELDS.rejoin.default, validate: validator(CATALOG, rangeCheck('rejoin', check('rejoin'))) },
    // A sealed bus without a usable key is invalid; the key is a credential, which Node-RED does not check outside the dialog.
    security: {
      value: BUS_FIELDS.security.default,
      validate: validator(CATALOG, (v, node) => {
        if (v !== 'sealed') return undefined;
        const problem = typedKeyProblem(keyOf(node, 'key'));
        return problem ? check(problem) : undefined;
      }),
    },
    replayWindow: { value: BUS_FIELDS.replayWindow.default, validate: validator(CATALOG, rangeCheck('replayWindow', check('replayWindow'))) },
  },
  credentials: {
    key: {
      type: 'password',
      validate: validator(CATALOG, (v, node) => {
        const problem = fieldOf(node, 'security') === 'sealed' ? typedKeyProblem(v) : undefined;
        return problem ? check(problem) : undefined;
      }),
    },
    previousKey: {
      type: 'password',
      validate: validator(CATALOG, (v) => (v === '' || !typedKeyProblem(v) ? undefined : check('previousKey'))),
    },
  } as CheckedCredentials,
  label: function () {
    if (this.name) return this.name;
    return String(this.group).includes(':') ? `[${this.group}]:${this.port}` : `${this.group}:${this.port}`;
  },
  oneditprepare: function () {
    beginEditing(this, DIALOG);
    // A new bus gets a short name, as a new flow gets "Flow 1": its address does not fit the configuration sidebar.
    if (!RED.nodes.node(this.id) && !this.name) {
      const taken = new Set<string>();
      RED.nodes.eachConfig((config: object) => {
        const { type, name } = config as { type: string; name?: string };
        if (type === 'multicast-bus' && name) taken.add(name);
        return true;
      });
      let number = 1;
      while (taken.has(RED._(`${CATALOG}:multicast-bus.label.newName`, { number }))) number++;
      $('#node-config-input-name').val(RED._(`${CATALOG}:multicast-bus.label.newName`, { number }));
    }
    statistics = new StatisticsTab(this.id, $('#multicast-bus-statistics'));
    const tabs = (RED.tabs as unknown as EditorTabs).create({
      id: 'multicast-bus-tabs',
      onchange: (tab: { id: string }) => {
        $('#multicast-bus-tabs-content').children().hide();
        $(`#${tab.id}`).show();
        statistics?.show(tab.id === STATISTICS_TAB);
      },
    });
    for (const tab of ['connection', 'messages', 'security', 'advanced', 'statistics']) {
      tabs.addTab({ id: `multicast-bus-tab-${tab}`, label: RED._(`${CATALOG}:multicast-bus.tab.${tab}`) });
    }
    // Saved before sizes took units: show 16777216 as "16 MiB".
    for (const field of ['maxMessage', 'rcvbuf'] as const) {
      const input = $(`#node-config-input-${field}`);
      if (/^\d+$/.test(String(input.val()))) input.val(fieldText(field, Number(input.val())));
    }

    const showWhen = (select: string, attribute: string, onlyClass: string, value: string) =>
      $(select)
        .on('change', function () {
          const chosen = String($(this).val());
          $(onlyClass).toggle(chosen === value);
          $(`[data-${attribute}]`).each(function () {
            $(this).toggle($(this).attr(`data-${attribute}`) === chosen);
          });
        })
        .trigger('change');
    // Datagram size and largest message only mean something with LCM framing; key fields only on a sealed bus.
    showWhen('#node-config-input-framing', 'framing', '.multicast-bus-lcm-only', 'lcm');
    showWhen('#node-config-input-security', 'security', '.multicast-bus-sealed-only', 'sealed');

    // A random 256-bit key, made in the browser: paste the same on every host of the bus.
    $('#multicast-bus-generate-key').on('click', () => {
      const bytes = crypto.getRandomValues(new Uint8Array(32));
      $('#node-config-input-key')
        .attr('type', 'text')
        .val(btoa(String.fromCharCode(...bytes)))
        .trigger('change');
    });

    setUpInterfacePicker();
    showFieldMessages(this, 'node-config-input', '#multicast-bus-tabs-content');
    setUpTestButton();
  },
  oneditsave: function () {
    statistics?.stop();
    // A size saved as bytes and shown as "16 MiB" is saved as it was, so opening an old bus changes nothing.
    for (const field of ['maxMessage', 'rcvbuf'] as const) {
      const input = $(`#node-config-input-${field}`);
      const saved = this[field];
      if (/^\d+$/.test(String(saved)) && inRange(field, String(input.val())) && fieldNumber(field, String(input.val())) === Number(saved)) {
        input.val(String(saved));
      }
    }
  },
  oneditcancel: () => statistics?.stop(),
  oneditdelete: () => statistics?.stop(),
});

// The sidebar's bus tab, once the editor page is ready (at once when it already is).
$(setUpDirectorySidebar);
