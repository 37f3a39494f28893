import { CATALOG } from '../../editor/field-validation';

/** What the runtime's POST multicast-bus/test answers: each step, and whether the settings themselves were wrong. */
interface TestAnswer {
  ok: boolean;
  steps: { step: string; ok: boolean; text: string }[];
}

const FIELDS = ['group', 'port', 'ttl', 'iface', 'framing', 'maxDatagram', 'maxMessage', 'rcvbuf', 'source', 'rejoin', 'security', 'replayWindow'];

/** The Test button: sends the dialog's unsaved settings to the Node-RED host, which tries them and says, step by step, what worked. */
export function setUpTestButton(): void {
  $('#multicast-bus-test').on('click', () => {
    const result = $('#multicast-bus-test-result').empty();
    $('<li>')
      .text(RED._(`${CATALOG}:multicast-bus.probe.running`))
      .appendTo(result);
    const body: Record<string, unknown> = Object.fromEntries(
      FIELDS.map((field) => [field, String($(`#node-config-input-${field}`).val() ?? '').trim()]),
    );
    body.loopback = $('#node-config-input-loopback').prop('checked');
    $.ajax({ url: 'multicast-bus/test', type: 'POST', contentType: 'application/json', data: JSON.stringify(body) })
      .done((answer: TestAnswer) => {
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
        // Network advice helps once the settings are right and the host itself hears the bus; not for a typo.
        if (!answer.steps.some((step) => step.step === 'settings')) {
          $('<li>')
            .addClass('multicast-bus-test-advice')
            .css({ 'margin-top': '6px', opacity: 0.8 })
            .text(RED._(`${CATALOG}:multicast-bus.probe.advice`))
            .appendTo(result);
        }
      })
      .fail((xhr: { status: number; responseText: string }) => {
        result.empty();
        $('<li>').addClass('multicast-bus-test-failed').text(`${xhr.status}: ${xhr.responseText}`).appendTo(result);
      });
  });
}
