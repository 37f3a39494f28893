// What this bus sends, per topic, for its presence announcements: counted on the send path, read every few seconds.
import { MAX_ANNOUNCED_TOPICS, type AnnouncedTopic } from './presence-announcement';
import { RateMeter } from './rate-meter';

/** The topics this bus published, with their rates over the last 10 s; at most MAX_ANNOUNCED_TOPICS, the oldest forgotten. */
export class PublishedTopics {
  private readonly topics = new Map<string, { meter: RateMeter; byteMeter: RateMeter }>();

  /** One message of `bytes` payload bytes went out on `topic`; true when the topic is new (not published lately). */
  sent(topic: string, bytes: number): boolean {
    let topicMeters = this.topics.get(topic);
    const isNew = !topicMeters;
    if (!topicMeters) {
      if (this.topics.size >= MAX_ANNOUNCED_TOPICS) this.topics.delete(this.topics.keys().next().value as string);
      topicMeters = { meter: new RateMeter(), byteMeter: new RateMeter() };
      this.topics.set(topic, topicMeters);
    }
    topicMeters.meter.add();
    topicMeters.byteMeter.add(bytes);
    return isNew;
  }

  /** Every topic with its message and byte rates. */
  list(): AnnouncedTopic[] {
    return [...this.topics].map(([topic, { meter, byteMeter }]) => ({ topic, rate: meter.rate(), bytesPerSecond: byteMeter.rate() }));
  }
}
