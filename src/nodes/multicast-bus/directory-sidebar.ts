// The editor's "bus" sidebar tab: every deployed bus and the senders it hears, live. The data comes only through
// Node-RED's comms (topic multicast-bus/directory, published by directory-feed.ts once a second while some editor
// watches); the tab's POST multicast-bus/directory/watch, on show and every 20 s while it shows, is the lease that
// keeps that feed on, not a poll. Requests go through the editor's $.ajax, so its login token goes along; reading
// needs only the read permission.
import { CATALOG } from '../../editor/field-validation';
import { DIRECTORY_TOPIC, type DirectorySnapshot } from './directory-feed';
import { DIRECTORY_STYLE, DirectoryView, type TopicOfSender } from './directory-view';

const TAB = 'multicast-bus';
// The runtime keeps publishing for 60 s after the last watch; renewing every 20 s leaves room for two lost renewals.
const RENEW_MS = 20_000;

const say = (key: string, params?: Record<string, string | number>) => RED._(`${CATALOG}:multicast-bus.sidebar.${key}`, params);

/** RED.sidebar.addTab as Node-RED 4 has it: the published types lack onchange, which runs when the tab is shown. */
type SidebarTab = Parameters<typeof RED.sidebar.addTab>[0] & { onchange(): void };

interface FailedRequest {
  status: number;
  responseText?: string;
}

const why = (xhr: FailedRequest) => (xhr.status ? `${xhr.status} ${xhr.responseText ?? ''}`.trim() : say('noAnswer'));

/** Adds the tab to the editor's sidebar (and the View menu), with the action multicast-bus:show-directory. */
export function setUpDirectorySidebar(): void {
  $('<style>').text(DIRECTORY_STYLE).appendTo('head');
  const view = new DirectoryView((topic) => watchTopic(topic));
  let renewal: ReturnType<typeof setInterval> | undefined;
  const shown = () => view.element.is(':visible');

  const watchDirectory = () =>
    $.ajax({ url: 'multicast-bus/directory/watch', type: 'POST', dataType: 'json' })
      .done((snapshot: DirectorySnapshot) => view.show(snapshot))
      .fail((xhr: FailedRequest) => view.failed(say('unreachable', { error: why(xhr) })));
  // The runtime keeps the topic's last payload for a minute from each ask; it shows in the next snapshots.
  const watchTopic = (topic: TopicOfSender) =>
    $.ajax({
      url: `multicast-bus/${encodeURIComponent(topic.bus)}/watch`,
      type: 'POST',
      contentType: 'application/json',
      data: JSON.stringify({ sender: topic.sender, topic: topic.topic }),
    }).fail((xhr: FailedRequest) => view.failed(say('watchFailed', { error: why(xhr) })));

  // Renewed while the tab shows; once it is hidden (another tab, the sidebar closed) the lease runs out by itself.
  const renew = () => {
    if (!shown()) {
      clearInterval(renewal);
      renewal = undefined;
      return;
    }
    watchDirectory();
    for (const topic of view.opened()) watchTopic(topic);
  };
  const start = () => {
    if (renewal !== undefined) return;
    watchDirectory();
    renewal = setInterval(renew, RENEW_MS);
  };

  RED.comms.subscribe(DIRECTORY_TOPIC, (_topic: string, snapshot: DirectorySnapshot) => {
    if (shown()) view.show(snapshot);
  });
  RED.sidebar.addTab({
    id: TAB,
    label: say('label'),
    name: say('name'),
    iconClass: 'fa fa-sitemap',
    content: view.element[0],
    // Traffic stays in view while a node's dialog is open.
    enableOnEdit: true,
    action: 'multicast-bus:show-directory',
    // Called just before the tab is shown.
    onchange: start,
  } as SidebarTab);
  RED.actions.add('multicast-bus:show-directory', () => RED.sidebar.show(TAB));
  // The sidebar opened again with this tab in front: onchange does not run for that.
  RED.events.on('sidebar:resize', () => {
    if (shown()) start();
  });
}
