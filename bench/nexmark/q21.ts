/**
 * Nexmark q21, add channel id: bids from the four named channels get their fixed id; other bids get the
 * `channel_id` query parameter of their url, and bids with neither are dropped.
 */
import { defineJob } from 'sluice';
import { nexmarkInput } from './common.js';

const KNOWN_CHANNELS = new Map([
  ['apple', '0'],
  ['google', '1'],
  ['facebook', '2'],
  ['baidu', '3'],
]);
/** The value of the first `channel_id` parameter at the start of the url or after '&' (REGEXP_EXTRACT group 2). */
const CHANNEL_ID = /(&|^)channel_id=([^&]*)/;

export default defineJob((env, args) => {
  const q = nexmarkInput(env, args);
  q.emit(
    q.bids().flatMap((b, out) => {
      const known = KNOWN_CHANNELS.get(b.channel.toLowerCase());
      const channelId = known ?? CHANNEL_ID.exec(b.url)?.[2];
      if (channelId !== undefined) {
        out.collect({
          auction: b.auction,
          bidder: b.bidder,
          price: b.price,
          channel: b.channel,
          channel_id: channelId,
        });
      }
    }, 'q21'),
  );
});
