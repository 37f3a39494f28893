import { integerBetween, isMulticastGroup, validator } from '../../editor/field-validation';

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

interface InterfaceChoice {
  name: string;
  addresses: { address: string; family: string }[];
}

RED.nodes.registerType<BusProperties, BusCredentials>('multicast-bus', {
  category: 'config',
  defaults: {
    name: { value: '' },
    group: { value: '239.255.76.67', required: true, validate: validator('multicast-bus.validation.group', isMulticastGroup) },
    port: { value: 7667, required: true, validate: validator('multicast-bus.validation.port', integerBetween(1, 65535)) },
    ttl: { value: 1, required: true, validate: validator('multicast-bus.validation.ttl', integerBetween(0, 255)) },
    iface: { value: '' },
    loopback: { value: true },
    framing: { value: 'lcm' },
    maxDatagram: { value: 1400, validate: validator('multicast-bus.validation.maxDatagram', integerBetween(160, 65527)) },
    maxMessage: { value: 16777216, validate: validator('multicast-bus.validation.maxMessage', integerBetween(1, 1073741824)) },
    rcvbuf: { value: 8388608, validate: validator('multicast-bus.validation.rcvbuf', integerBetween(0, 1073741824)) },
    source: { value: '' },
    rejoin: { value: 0, validate: validator('multicast-bus.validation.rejoin', integerBetween(0, 3600)) },
    security: { value: 'none' },
    replayWindow: { value: 120, validate: validator('multicast-bus.validation.replayWindow', integerBetween(1, 86400)) },
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
      $('#node-config-input-key').attr('type', 'text').val(btoa(String.fromCharCode(...bytes)));
    });
    // Offer the host's interfaces while keeping the field free text: Node-RED may run on another machine than the browser.
    const list = $('#multicast-bus-interfaces');
    $.getJSON('multicast-bus/interfaces', (interfaces: InterfaceChoice[]) => {
      list.empty();
      $('<option>').attr('value', '*').text(RED._('node-red-contrib-multicast-bus/multicast-bus:multicast-bus.placeholder.allInterfaces')).appendTo(list);
      for (const choice of interfaces) {
        const addresses = choice.addresses.map((a) => a.address).join(', ');
        $('<option>').attr('value', choice.name).text(`${choice.name} (${addresses})`).appendTo(list);
      }
    });
  },
});
