/**
 * The Nexmark data model: an online auction with people, auctions and bids. Field names are those of the
 * reference generator (nexmark/nexmark, nexmark-flink) so events and query results compare column by column with
 * other systems; times are epoch milliseconds.
 */

/** A person who may sell items or bid. */
export interface Person {
  id: number;
  name: string;
  emailAddress: string;
  creditCard: string;
  city: string;
  state: string;
  /** Event time, epoch milliseconds. */
  dateTime: number;
  extra: string;
}

/** An item put up for auction by a seller, open from `dateTime` until `expires`. */
export interface Auction {
  id: number;
  itemName: string;
  description: string;
  initialBid: number;
  reserve: number;
  /** Event time, epoch milliseconds. */
  dateTime: number;
  /** When the auction closes, epoch milliseconds. */
  expires: number;
  /** Person id of the seller. */
  seller: number;
  category: number;
  extra: string;
}

/** A bid on an auction. */
export interface Bid {
  /** Auction id. */
  auction: number;
  /** Person id of the bidder. */
  bidder: number;
  /** Price in cents. */
  price: number;
  channel: string;
  url: string;
  /** Event time, epoch milliseconds. */
  dateTime: number;
  extra: string;
}

/** Event kinds as numbered by the reference: 0 person, 1 auction, 2 bid. */
export const PERSON = 0;
export const AUCTION = 1;
export const BID = 2;

/**
 * One event in the reference's nested form: exactly one of person, auction and bid is set, named by `event_type`.
 * This is also the JSON Lines form written by `sluice nexmark generate` and read by the Nexmark queries.
 */
export type NexmarkEvent =
  | { event_type: typeof PERSON; person: Person; auction: null; bid: null }
  | { event_type: typeof AUCTION; person: null; auction: Auction; bid: null }
  | { event_type: typeof BID; person: null; auction: null; bid: Bid };

/** The event time of an event, epoch milliseconds. */
export function eventTime(e: NexmarkEvent): number {
  return e.event_type === BID ? e.bid.dateTime : e.event_type === AUCTION ? e.auction.dateTime : e.person.dateTime;
}
