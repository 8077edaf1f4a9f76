/**
 * Nexmark q3, local item suggestion: auctions of category 10 joined with their sellers when the seller lives in
 * Oregon, Idaho or California (a regular inner join on seller = person id).
 */
import { type Auction, defineJob, type Person } from 'sluice';
import { nexmarkInput } from './common.js';
import { EnrichJoin } from './enrich-join.js';

const STATES = new Set(['OR', 'ID', 'CA']);

export default defineJob((env, args) => {
  const q = nexmarkInput(env, args, { person: ['id', 'name', 'city', 'state'], auction: ['id', 'seller', 'category'] });
  const sellers = q.persons().filter((p) => STATES.has(p.state), 'q3-states');
  const auctions = q.auctions().filter((a) => a.category === 10, 'q3-category');
  q.emit(
    sellers
      .keyBy((p) => p.id)
      .connect(auctions.keyBy((a) => a.seller))
      .process(
        new EnrichJoin<number, Person, Auction, object>(
          (p, a) => ({ name: p.name, city: p.city, state: p.state, id: a.id }),
          (a) => a.dateTime,
        ),
        'q3-join',
      ),
  );
});
