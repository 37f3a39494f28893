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
}

interface InterfaceChoice {
  name: string;
  addresses: { address: string; family: string }[];
}

RED.nodes.registerType<BusProperties>('multicast-bus', {
  category: 'config',
  defaults: {
    name: { value: '' },
    group: { value: '239.255.76.67', required: true, validate: validator('multicast-bus.validation.group', isMulticastGroup) },
    port: { value: 7667, required: true, validate: validator('multicast-bus.validation.port', integerBetween(1, 65535)) },
    ttl: { value: 1, required: true, validate: validator('multicast-bus.validation.ttl', integerBetween(0, 255)) },
    iface: { value: '' },
    loopback: { value: true },
    framing: { value: 'lcm' },
    maxDatagram: { value: 1400, validate: validator('multicast-bus.validation.maxDatagram', integerBetween(128, 65527)) },
    maxMessage: { value: 16777216, validate: validator('multicast-bus.validation.maxMessage', integerBetween(1, 1073741824)) },
    rcvbuf: { value: 8388608, validate: validator('multicast-bus.validation.rcvbuf', integerBetween(0, 1073741824)) },
    source: { value: '' },
    rejoin: { value: 0, validate: validator('multicast-bus.validation.rejoin', integerBetween(0, 3600)) },
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
