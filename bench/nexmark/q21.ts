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

/** Channel names repeat (a few thousand): their fixed ids (or null) are looked up once per name. */
const knownIds = new Map<string, string | null>();
function knownChannelId(channel: string): string | null {
  let id = knownIds.get(channel);
  if (id === undefined) {
    id = KNOWN_CHANNELS.get(channel.toLowerCase()) ?? null;
    if (knownIds.size < 100_000) knownIds.set(channel, id);
  }
  return id;
}

/** Urls repeat as well (one per channel): the extracted parameter is cached per url. */
const urlIds = new Map<string, string | null>();
function urlChannelId(url: string): string | null {
  let id = urlIds.get(url);
  if (id === undefined) {
    id = CHANNEL_ID.exec(url)?.[2] ?? null;
    if (urlIds.size < 100_000) urlIds.set(url, id);
  }
  return id;
}

export default defineJob((env, args) => {
  const q = nexmarkInput(env, args, { bid: ['auction', 'bidder', 'price', 'channel', 'url'] });
  q.emit(
    q.bids().flatMap((b) => {
      const channelId = knownChannelId(b.channel) ?? urlChannelId(b.url);
      if (channelId === null) return [];
      return [{ auction: b.auction, bidder: b.bidder, price: b.price, channel: b.channel, channel_id: channelId }];
    }, 'q21'),
  );
});
