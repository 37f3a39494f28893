import { BUS_FIELDS } from '../../core/bus-fields';
import { asValidator, CATALOG, datagramFitsGroup, fieldInRange, isMulticastGroup, sourcesFitGroup, validator } from '../../editor/field-validation';

interface BusProperties {
  name: string;
  group: string;
  port: number;
  ttl: number;
  iface: string;
  loopback: boolean;
  framing: string;
  maxDatagram: number;
  maxMessage: number;
  rcvbuf: number;
  source: string;
  rejoin: number;
  security: string;
  replayWindow: number;
}

interface BusCredentials {
  key: string;
  previousKey: string;
}

/** The current text of a dialog field. */
function text(field: string): string {
  return String($(`#node-config-input-${field}`).val() ?? '').trim();
}

interface InterfaceChoice {
  name: string;
  addresses: { address: string; family: string }[];
}

RED.nodes.registerType<BusProperties, BusCredentials>('multicast-bus', {
  category: 'config',
  defaults: {
    name: { value: '' },
    group: { value: BUS_FIELDS.group.default, required: true, validate: validator('multicast-bus.validation.group', isMulticastGroup) },
    port: { value: BUS_FIELDS.port.default, required: true, validate: validator('multicast-bus.validation.port', fieldInRange('port')) },
    ttl: { value: BUS_FIELDS.ttl.default, required: true, validate: validator('multicast-bus.validation.ttl', fieldInRange('ttl')) },
    iface: { value: BUS_FIELDS.iface.default },
    loopback: { value: BUS_FIELDS.loopback.default },
    framing: { value: BUS_FIELDS.framing.default },
    maxDatagram: {
      value: BUS_FIELDS.maxDatagram.default,
      validate: asValidator(function (this: unknown, value: string, _opt?: unknown) {
        const group = String($('#node-config-input-group').val() ?? (this as { group?: string }).group ?? '');
        return datagramFitsGroup(String(value ?? '').trim(), group) ? true : RED._(`${CATALOG}:multicast-bus.validation.maxDatagram`);
      }),
    },
    maxMessage: { value: BUS_FIELDS.maxMessage.default, validate: validator('multicast-bus.validation.maxMessage', fieldInRange('maxMessage')) },
    rcvbuf: { value: BUS_FIELDS.rcvbuf.default, validate: validator('multicast-bus.validation.rcvbuf', fieldInRange('rcvbuf')) },
    source: {
      value: BUS_FIELDS.source.default,
      validate: asValidator(function (this: unknown, value: string, _opt?: unknown) {
        const group = String($('#node-config-input-group').val() ?? (this as { group?: string }).group ?? '');
        return sourcesFitGroup(String(value ?? ''), group) ? true : RED._(`${CATALOG}:multicast-bus.validation.source`);
      }),
    },
    rejoin: { value: BUS_FIELDS.rejoin.default, validate: validator('multicast-bus.validation.rejoin', fieldInRange('rejoin')) },
    security: { value: BUS_FIELDS.security.default },
    replayWindow: {
      value: BUS_FIELDS.replayWindow.default,
      validate: validator('multicast-bus.validation.replayWindow', fieldInRange('replayWindow')),
    },
  },
  credentials: {
    key: { type: 'password' },
    previousKey: { type: 'password' },
  },
  label: function () {
    if (this.name) return this.name;
    const where = String(this.group).includes(':') ? `[${this.group}]:${this.port}` : `${this.group}:${this.port}`;
    return this.iface ? `${where} · ${this.iface}` : where;
  },
  oneditprepare: function () {
    // Say what is wrong under the field as the user types, not only with a red border.
    const inline: [string, () => string | undefined][] = [
      ['group', () => (isMulticastGroup(text('group')) ? undefined : 'group')],
      ['port', () => (fieldInRange('port')(text('port')) ? undefined : 'port')],
      ['ttl', () => (fieldInRange('ttl')(text('ttl')) ? undefined : 'ttl')],
      ['source', () => (sourcesFitGroup(text('source'), text('group')) ? undefined : 'source')],
    ];
    const refresh = () => {
      for (const [field, check] of inline) {
        const problem = check();
        $(`#multicast-bus-message-${field}`).text(problem ? RED._(`${CATALOG}:multicast-bus.validation.${problem}`) : '');
      }
    };
    for (const [field] of inline) $(`#node-config-input-${field}`).on('input change', refresh);
    $('#node-config-input-group').on('input change', refresh);
    refresh();

    $('#multicast-bus-test').on('click', () => {
      const result = $('#multicast-bus-test-result').empty();
      $('<li>')
        .text(RED._(`${CATALOG}:multicast-bus.probe.running`))
        .appendTo(result);
      const fields = [
        'group',
        'port',
        'ttl',
        'iface',
        'framing',
        'maxDatagram',
        'maxMessage',
        'rcvbuf',
        'source',
        'rejoin',
        'security',
        'replayWindow',
      ];
      const body: Record<string, unknown> = Object.fromEntries(fields.map((field) => [field, text(field)]));
      body.loopback = $('#node-config-input-loopback').prop('checked');
      $.ajax({ url: 'multicast-bus/test', type: 'POST', contentType: 'application/json', data: JSON.stringify(body) })
        .done((answer: { ok: boolean; steps: { ok: boolean; text: string }[] }) => {
          result.empty();
          for (const step of answer.steps) {
            $('<li>')
              .addClass(step.ok ? 'multicast-bus-test-ok' : 'multicast-bus-test-failed')
              .append(
                $('<i>')
                  .addClass(step.ok ? 'fa fa-check' : 'fa fa-times')
                  .css({ color: step.ok ? '#3a3' : '#d33', width: '18px' }),
              )
              .append($('<span>').text(step.text))
              .appendTo(result);
          }
          $('<li>')
            .css({ 'margin-top': '6px', opacity: 0.8 })
            .text(RED._(`${CATALOG}:multicast-bus.probe.advice`))
            .appendTo(result);
        })
        .fail((xhr: { status: number; responseText: string }) => {
          result.empty();
          $('<li>').addClass('multicast-bus-test-failed').text(`${xhr.status}: ${xhr.responseText}`).appendTo(result);
        });
    });

    // Datagram size and message limit only mean something with LCM framing.
    $('#node-config-input-framing')
      .on('change', function () {
        $('.multicast-bus-lcm-only').toggle($(this).val() === 'lcm');
      })
      .trigger('change');
    $('#node-config-input-security')
      .on('change', function () {
        $('.multicast-bus-sealed-only').toggle($(this).val() === 'sealed');
      })
      .trigger('change');
    // A random 256-bit key, made in the browser: paste the same on every host of the bus.
    $('#multicast-bus-generate-key').on('click', () => {
      const bytes = crypto.getRandomValues(new Uint8Array(32));
      $('#node-config-input-key')
        .attr('type', 'text')
        .val(btoa(String.fromCharCode(...bytes)));
    });
    // Offer the host's interfaces while keeping the field free text: Node-RED may run on another machine than the browser.
    const list = $('#multicast-bus-interfaces');
    $.getJSON('multicast-bus/interfaces', (interfaces: InterfaceChoice[]) => {
      list.empty();
      $('<option>')
        .attr('value', '')
        .text(RED._(`${CATALOG}:multicast-bus.placeholder.iface`))
        .appendTo(list);
      $('<option>')
        .attr('value', '*')
        .text(RED._(`${CATALOG}:multicast-bus.placeholder.allInterfaces`))
        .appendTo(list);
      for (const choice of interfaces) {
        const addresses = choice.addresses.map((a) => a.address).join(', ');
        $('<option>').attr('value', choice.name).text(`${choice.name} (${addresses})`).appendTo(list);
      }
    });
  },
});
