import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { BuddyAllocator, type MergeListener } from '../../src/core/buddy-allocator.js';
import { InvariantError } from '../../src/core/errors.js';

/** Free lists of `allocator` as arrays, head first. */
function freeLists(allocator: BuddyAllocator): number[][] {
  const lists: number[][] = [];
  for (let order = 0; order <= allocator.maxOrder; order++) {
    const list: number[] = [];
    for (let pfn = allocator.headOf(order); pfn !== -1; pfn = allocator.nextOf(pfn)) {
      list.push(pfn);
    }
    lists.push(list);
  }
  return lists;
}

class RecordingListener implements MergeListener {
  readonly events: string[] = [];
  onMerge(pfn: number, order: number): void {
    this.events.push(`merge ${pfn}/${order}`);
  }
  onFreed(pfn: number, order: number): void {
    this.events.push(`freed ${pfn}/${order}`);
  }
}

/**
 * A second, deliberately naive implementation of the same spec (mm/page_alloc.c
 * semantics) with plain arrays and a Map: the reference model for the property tests.
 */
class ReferenceBuddy {
  readonly lists: number[][] = [];
  readonly orderOfFreeHead = new Map<number, number>();
  readonly events: string[] = [];
  freePages = 0;

  constructor(readonly totalPages: number, readonly maxOrder: number) {
    for (let order = 0; order <= maxOrder; order++) {
      this.lists.push([]);
    }
  }

  add(pfn: number, order: number, toTail: boolean): void {
    if (toTail) {
      this.lists[order].push(pfn);
    } else {
      this.lists[order].unshift(pfn);
    }
    this.orderOfFreeHead.set(pfn, order);
    this.freePages += 2 ** order;
  }

  remove(pfn: number, order: number): void {
    const list = this.lists[order];
    list.splice(list.indexOf(pfn), 1);
    this.orderOfFreeHead.delete(pfn);
    this.freePages -= 2 ** order;
  }

  alloc(order: number): number {
    for (let current = order; current <= this.maxOrder; current++) {
      if (this.lists[current].length > 0) {
        const pfn = this.lists[current][0];
        this.remove(pfn, current);
        for (let half = current - 1; half >= order; half--) {
          this.add(pfn + 2 ** half, half, false);
        }
        return pfn;
      }
    }
    return -1;
  }

  free(pfn: number, order: number, forceTail: boolean): number {
    while (order < this.maxOrder) {
      const buddy = pfn ^ 2 ** order;
      if (this.orderOfFreeHead.get(buddy) !== order) {
        break;
      }
      this.remove(buddy, order);
      pfn = Math.min(pfn, buddy);
      order++;
      this.events.push(`merge ${pfn}/${order}`);
    }
    let toTail = forceTail;
    if (!forceTail && order < this.maxOrder - 1) {
      const parent = pfn - (pfn % 2 ** (order + 1));
      const parentBuddy = parent ^ 2 ** (order + 1);
      toTail = this.orderOfFreeHead.get(parentBuddy) === order + 1;
    }
    this.add(pfn, order, toTail);
    this.events.push(`freed ${pfn}/${order}`);
    return pfn;
  }

  /** Whether some aligned in-range block of `order` has all its pages free. */
  hasFreeAlignedRange(order: number): boolean {
    const isFree = new Uint8Array(this.totalPages);
    for (const [pfn, blockOrder] of this.orderOfFreeHead) {
      isFree.fill(1, pfn, pfn + 2 ** blockOrder);
    }
    const blockPages = 2 ** order;
    for (let start = 0; start + blockPages <= this.totalPages; start += blockPages) {
      if (isFree.subarray(start, start + blockPages).every((bit) => bit === 1)) {
        return true;
      }
    }
    return false;
  }
}

test('allocating order 0 from one order-4 block splits it as expand() does', () => {
  const allocator = new BuddyAllocator(16, 4);
  allocator.addFreeBlock(0, 4, false);
  assert.equal(allocator.alloc(0), 0);
  assert.deepEqual(freeLists(allocator), [[1], [2], [4], [8], []]);
  assert.deepEqual(Array.from(allocator.nrFree), [1, 1, 1, 1, 0]);
  assert.equal(allocator.freePages, 15);
  assert.equal(allocator.freeOrder[1], 0);
  assert.equal(allocator.freeOrder[8], 3);
  allocator.checkInvariants();

  assert.equal(allocator.free(0, 0), 0);
  assert.equal(allocator.freeOrder[0], 4);
  assert.deepEqual(freeLists(allocator), [[], [], [], [], [0]]);
  assert.equal(allocator.freePages, 16);
  allocator.checkInvariants();
});

test('allocation takes the head of the smallest non-empty list and leaves bigger blocks alone', () => {
  const allocator = new BuddyAllocator(32, 4);
  allocator.addFreeBlock(16, 4, false);
  allocator.addFreeBlock(6, 1, false);
  allocator.addFreeBlock(10, 1, false);
  assert.deepEqual(freeLists(allocator)[1], [10, 6]);
  assert.equal(allocator.alloc(0), 10);
  assert.deepEqual(freeLists(allocator), [[11], [6], [], [], [16]]);
  assert.equal(allocator.alloc(1), 6);
  assert.equal(allocator.alloc(2), 16);
  assert.deepEqual(freeLists(allocator), [[11], [], [20], [24], []]);
  assert.equal(allocator.alloc(4), -1);
  allocator.checkInvariants();
});

test('hasFreeBlock(order) is whether alloc(order) succeeds: a block of that order or above is free', () => {
  const allocator = new BuddyAllocator(32, 4);
  allocator.addFreeBlock(6, 1, false);
  allocator.addFreeBlock(16, 3, false);
  assert.deepEqual([0, 1, 2, 3, 4].map((order) => allocator.hasFreeBlock(order)), [true, true, true, true, false]);
  assert.equal(allocator.alloc(3), 16);
  assert.deepEqual([0, 1, 2, 3, 4].map((order) => allocator.hasFreeBlock(order)), [true, true, false, false, false]);
  fc.assert(
    fc.property(fc.array(fc.integer({ min: 0, max: 4 }), { maxLength: 12 }), (orders) => {
      const a = new BuddyAllocator(32, 4);
      a.addFreeBlock(0, 4, false);
      a.addFreeBlock(16, 4, false);
      for (const order of orders) {
        const expected = a.hasFreeBlock(order);
        assert.equal(a.alloc(order) >= 0, expected);
      }
    }),
  );
});

test('buddy_merge_likely: a block whose parent buddy is free goes to the tail', () => {
  const allocator = new BuddyAllocator(16, 4);
  allocator.addFreeBlock(12, 0, false);
  allocator.addFreeBlock(2, 1, false);
  // page 0: its buddy 1 is allocated, but the buddy of its order-1 parent [0, 2) is the
  // free order-1 block at 2, so the merge is likely: tail
  assert.equal(allocator.free(0, 0), 0);
  assert.deepEqual(freeLists(allocator)[0], [12, 0]);
  allocator.checkInvariants();

  // without the free parent buddy, the block goes to the head
  const plain = new BuddyAllocator(16, 4);
  plain.addFreeBlock(12, 0, false);
  assert.equal(plain.free(0, 0), 0);
  assert.deepEqual(freeLists(plain)[0], [0, 12]);

  // page 1 merges twice (with 0, then with 2) into [0, 4); [4, 8) is allocated: head
  assert.equal(allocator.free(1, 0), 0);
  assert.equal(allocator.freeOrder[0], 2);
  assert.deepEqual(freeLists(allocator), [[12], [], [0], [], []]);
  allocator.checkInvariants();
});

test('buddy_merge_likely never applies at order maxOrder - 1', () => {
  const allocator = new BuddyAllocator(48, 4);
  allocator.addFreeBlock(16, 4, false);
  allocator.addFreeBlock(40, 3, false);
  // [0, 8) ends at order 3 = maxOrder - 1; its parent's buddy [16, 32) is free, yet: head
  assert.equal(allocator.free(0, 3), 0);
  assert.deepEqual(freeLists(allocator)[3], [0, 40]);
  allocator.checkInvariants();
});

test('freeToTail forces the tail and still merges', () => {
  const allocator = new BuddyAllocator(16, 4);
  allocator.addFreeBlock(8, 0, false);
  assert.equal(allocator.freeToTail(4, 0), 4);
  assert.deepEqual(freeLists(allocator)[0], [8, 4]);
  assert.equal(allocator.freeToTail(5, 0), 4);
  assert.equal(allocator.freeOrder[4], 1);
  assert.deepEqual(freeLists(allocator)[1], [4]);
  allocator.checkInvariants();
});

test('merging stops at maxOrder and at the end of a zone that is not block-aligned', () => {
  const allocator = new BuddyAllocator(10, 2);
  allocator.addFreeBlock(0, 2, false);
  assert.equal(allocator.free(4, 2), 4);
  assert.deepEqual(freeLists(allocator)[2], [4, 0]);
  // [8, 10): the buddy of [8, 10) at order 1 would be [10, 12), outside the zone
  assert.equal(allocator.free(8, 0), 8);
  assert.equal(allocator.free(9, 0), 8);
  assert.equal(allocator.freeOrder[8], 1);
  assert.equal(allocator.freePages, 10);
  allocator.checkInvariants();
});

test('the merge listener sees each merge step and the final block', () => {
  const allocator = new BuddyAllocator(16, 4);
  const listener = new RecordingListener();
  allocator.addFreeBlock(0, 4, false);
  allocator.alloc(0);
  allocator.mergeListener = listener;
  allocator.free(0, 0);
  assert.deepEqual(listener.events, ['merge 0/1', 'merge 0/2', 'merge 0/3', 'merge 0/4', 'freed 0/4']);
});

test('removeFree, isFreeHead and findFreeBlock', () => {
  const allocator = new BuddyAllocator(16, 4);
  allocator.addFreeBlock(0, 4, false);
  allocator.alloc(0);
  assert.equal(allocator.findFreeBlock(0), -1);
  assert.equal(allocator.findFreeBlock(1), 1);
  assert.equal(allocator.findFreeBlock(3), 2);
  assert.equal(allocator.findFreeBlock(7), 4);
  assert.equal(allocator.findFreeBlock(15), 8);
  assert.equal(allocator.isFreeHead(8), true);
  assert.equal(allocator.isFreeHead(9), false);
  allocator.removeFree(4, 2);
  assert.equal(allocator.findFreeBlock(5), -1);
  assert.equal(allocator.freePages, 11);
  allocator.checkInvariants();
  assert.throws(() => allocator.removeFree(8, 2), /pfn 8 does not head a free block of order 2 \(got 3\)/);
});

test('bad frees and adds throw InvariantError naming the block', () => {
  const allocator = new BuddyAllocator(16, 4);
  allocator.addFreeBlock(8, 3, false);
  assert.throws(() => allocator.free(8, 3), (error: unknown) =>
    error instanceof InvariantError && /block 8 of order 3 is already free/.test(error.message));
  assert.throws(() => allocator.free(2, 2), /block 2 is not aligned to order 2/);
  assert.throws(() => allocator.free(16, 0), /lies outside \[0, 16\)/);
  assert.throws(() => allocator.free(0, 5), /order must be in \[0, 4\] \(got 5\)/);
  assert.throws(() => allocator.addFreeBlock(8, 0, false), /already heads a free block/);
  assert.throws(() => allocator.alloc(5), RangeError);
  assert.throws(() => new BuddyAllocator(0, 4), /got 0/);
  assert.throws(() => new BuddyAllocator(16, 31), /got 31/);
});

test('checkInvariants reports unmerged buddies and overlapping blocks', () => {
  const unmerged = new BuddyAllocator(16, 4);
  unmerged.addFreeBlock(4, 2, false);
  unmerged.addFreeBlock(0, 2, false);
  assert.throws(() => unmerged.checkInvariants(), /free buddies 0 and 4 of order 2 are not merged/);

  const overlapping = new BuddyAllocator(16, 4);
  overlapping.addFreeBlock(0, 3, false);
  overlapping.addFreeBlock(4, 1, false);
  assert.throws(() => overlapping.checkInvariants(), /overlaps another free block at pfn 4/);

  const corrupted = new BuddyAllocator(16, 4);
  corrupted.addFreeBlock(0, 3, false);
  corrupted.nrFree[3] = 2;
  assert.throws(() => corrupted.checkInvariants(), /nrFree is 2, list holds 1 blocks/);
});

type Command =
  | { kind: 'alloc'; order: number }
  | { kind: 'free' | 'freeToTail' | 'freeHalves'; pick: number }
  | { kind: 'removeFree' | 'rotateToFront'; pick: number };

const commandArbitrary: fc.Arbitrary<Command> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('alloc' as const), order: fc.nat(12) }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('free' as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('freeToTail' as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('freeHalves' as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('removeFree' as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('rotateToFront' as const), pick: fc.nat() }) },
);

interface Block { pfn: number; order: number }

/** Every page is in exactly one live block or one free block. */
function assertEveryPageOnce(allocator: BuddyAllocator, live: Block[]): void {
  const owners = new Uint8Array(allocator.totalPages);
  const blocks: Block[] = [...live];
  freeLists(allocator).forEach((list, order) => {
    for (const pfn of list) blocks.push({ pfn, order });
  });
  for (const { pfn, order } of blocks) {
    for (let p = pfn; p < pfn + 2 ** order; p++) {
      owners[p]++;
    }
  }
  const wrong = owners.findIndex((count) => count !== 1);
  assert.equal(wrong, -1, `page ${wrong} is accounted for ${owners[wrong]} times`);
}

test('property: random alloc/free sequences keep every invariant and match the reference model', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 5 }),
      fc.integer({ min: 1, max: 8 }),
      fc.nat(),
      fc.array(fc.boolean(), { minLength: 8, maxLength: 8 }),
      fc.array(commandArbitrary, { maxLength: 150 }),
      fc.integer({ min: 0, max: 6 }),
      (maxOrder, wholeBlocks, remainderSeed, wholeBlockFree, commands, linksSharedBelowOrder) => {
        const blockPages = 2 ** maxOrder;
        const remainderPages = remainderSeed % blockPages;
        const totalPages = wholeBlocks * blockPages + remainderPages;
        // Links by pfn below the split, by pfn >> order from it (0: every order its own array).
        const allocator = new BuddyAllocator(totalPages, maxOrder, linksSharedBelowOrder);
        const reference = new ReferenceBuddy(totalPages, maxOrder);
        const listener = new RecordingListener();
        allocator.mergeListener = listener;
        const live: Block[] = [];

        // initial layout: whole maxOrder blocks free (boot order, tail) or used, then the
        // unaligned remainder as its binary decomposition, free
        for (let block = 0; block < wholeBlocks; block++) {
          const pfn = block * blockPages;
          if (wholeBlockFree[block]) {
            allocator.addFreeBlock(pfn, maxOrder, true);
            reference.add(pfn, maxOrder, true);
          } else {
            live.push({ pfn, order: maxOrder });
          }
        }
        let pfn = wholeBlocks * blockPages;
        for (let order = maxOrder - 1; order >= 0; order--) {
          if ((remainderPages & (1 << order)) !== 0) {
            allocator.addFreeBlock(pfn, order, true);
            reference.add(pfn, order, true);
            pfn += 2 ** order;
          }
        }
        allocator.checkInvariants();

        for (const command of commands) {
          switch (command.kind) {
            case 'alloc': {
              const order = command.order % (maxOrder + 1);
              const expected = reference.alloc(order);
              assert.equal(allocator.alloc(order), expected, `alloc(${order})`);
              if (expected === -1) {
                assert.equal(reference.hasFreeAlignedRange(order), false,
                  `alloc(${order}) failed although an aligned free range exists`);
              } else {
                live.push({ pfn: expected, order });
              }
              break;
            }
            case 'free':
            case 'freeToTail': {
              if (live.length === 0) break;
              const [block] = live.splice(command.pick % live.length, 1);
              const forceTail = command.kind === 'freeToTail';
              const expected = reference.free(block.pfn, block.order, forceTail);
              const actual = forceTail ? allocator.freeToTail(block.pfn, block.order) : allocator.free(block.pfn, block.order);
              assert.equal(actual, expected, `${command.kind}(${block.pfn}, ${block.order})`);
              assert.equal(allocator.freeOrder[actual], reference.orderOfFreeHead.get(expected));
              break;
            }
            case 'freeHalves': {
              // split_page() then free the two halves, upper first: exercises merging
              const index = live.findIndex((block, i) => i >= command.pick % Math.max(live.length, 1) && block.order > 0);
              if (index === -1) break;
              const [block] = live.splice(index, 1);
              const halfOrder = block.order - 1, upper = block.pfn + 2 ** halfOrder;
              assert.equal(allocator.free(upper, halfOrder), reference.free(upper, halfOrder, false));
              assert.equal(allocator.free(block.pfn, halfOrder), reference.free(block.pfn, halfOrder, false));
              break;
            }
            case 'removeFree': {
              const candidates = [...reference.orderOfFreeHead].sort((a, b) => a[0] - b[0]);
              if (candidates.length === 0) break;
              const [freePfn, order] = candidates[command.pick % candidates.length];
              allocator.removeFree(freePfn, order);
              reference.remove(freePfn, order);
              live.push({ pfn: freePfn, order });
              break;
            }
            case 'rotateToFront': {
              // list_rotate_to_front (page reporting): the blocks before pfn go behind the tail
              const candidates = [...reference.orderOfFreeHead].sort((a, b) => a[0] - b[0]);
              if (candidates.length === 0) break;
              const [freePfn, order] = candidates[command.pick % candidates.length];
              allocator.rotateToFront(freePfn, order);
              const list = reference.lists[order], at = list.indexOf(freePfn);
              reference.lists[order] = [...list.slice(at), ...list.slice(0, at)];
              break;
            }
          }
          allocator.checkInvariants();
          assert.deepEqual(freeLists(allocator), reference.lists);
          assert.deepEqual(Array.from(allocator.nrFree), reference.lists.map((list) => list.length));
          assert.equal(allocator.freePages, reference.freePages);
          const livePages = live.reduce((sum, block) => sum + 2 ** block.order, 0);
          assert.equal(livePages + allocator.freePages, totalPages);
          assertEveryPageOnce(allocator, live);
        }
        assert.deepEqual(listener.events, reference.events);
      },
    ),
    { numRuns: 300 },
  );
});

test('property: freeing everything that was allocated restores the initial free lists', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 6 }),
      fc.array(fc.nat(6), { maxLength: 60 }),
      fc.array(fc.nat(), { maxLength: 60 }),
      (maxOrder, orders, freeOrderPicks) => {
        const totalPages = 4 * 2 ** maxOrder;
        const allocator = new BuddyAllocator(totalPages, maxOrder);
        for (let block = 0; block < 4; block++) {
          allocator.addFreeBlock(block * 2 ** maxOrder, maxOrder, true);
        }
        const live: Block[] = [];
        for (const order of orders) {
          const clamped = order % (maxOrder + 1);
          const pfn = allocator.alloc(clamped);
          if (pfn !== -1) live.push({ pfn, order: clamped });
        }
        for (let i = 0; live.length > 0; i++) {
          const [block] = live.splice((freeOrderPicks[i] ?? 0) % live.length, 1);
          allocator.free(block.pfn, block.order);
          allocator.checkInvariants();
        }
        assert.equal(allocator.freePages, totalPages);
        assert.equal(allocator.nrFree[maxOrder], 4);
      },
    ),
    { numRuns: 200 },
  );
});
