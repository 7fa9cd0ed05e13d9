"""Collections keep every version; date_added is unique and increasing; pages never skip."""

from __future__ import annotations

import asyncio
from itertools import pairwise

from hub.store import ALL, LAST, ObjectFilter, Store, VersionMatch
from hub.store.collections import CollectionSpec, analysts_collection, feed_collection
from hub.store.timestamps import to_us
from protocols.tlp import Tlp
from tests.store.stix import indicator, indicator_id, indicators, version_of

ANALYSTS = analysts_collection()
FEED = feed_collection("isp-northnet")


async def page_all(
    store: Store, collection: CollectionSpec, flt: ObjectFilter, limit: int
) -> list[int]:
    """Every date_added, page by page, following the cursor as a TAXII client follows next."""
    seen: list[int] = []
    after = flt.after_us
    while True:
        page = await store.page_objects(
            collection.id,
            ObjectFilter(
                after_us=after,
                ids=flt.ids,
                types=flt.types,
                versions=flt.versions,
                max_tlp=flt.max_tlp,
            ),
            limit,
        )
        seen.extend(page.added)
        if not page.more:
            return seen
        after = page.last_added


async def test_date_added_is_unique_and_increasing_within_one_batch(store: Store) -> None:
    await store.ensure_collections([ANALYSTS])
    assert await store.add_versions({ANALYSTS.id: indicators(1000)}) == 1000
    added = await page_all(store, ANALYSTS, ObjectFilter(), 1000)
    assert len(added) == 1000
    assert all(later > earlier for earlier, later in pairwise(added))


async def test_concurrent_writers_never_share_a_date_added(store: Store) -> None:
    await store.ensure_collections([ANALYSTS, FEED])
    batches = [
        store.add_versions({ANALYSTS.id: indicators(200, start=n * 200), FEED.id: indicators(5)})
        for n in range(8)
    ]
    await asyncio.gather(*batches)
    added = await page_all(store, ANALYSTS, ObjectFilter(), 97)
    assert len(added) == len(set(added)) == 1600


async def test_a_reader_paging_during_writes_sees_every_object_exactly_once(store: Store) -> None:
    await store.ensure_collections([ANALYSTS])
    writing = asyncio.gather(
        *(store.add_versions({ANALYSTS.id: indicators(50, start=n * 50)}) for n in range(20))
    )
    seen: list[int] = []
    after = None
    while True:
        page = await store.page_objects(ANALYSTS.id, ObjectFilter(after_us=after), 30)
        seen.extend(page.added)
        after = page.last_added if page.added else after
        if writing.done() and not page.more:
            break
        await asyncio.sleep(0)
    await writing
    # Whatever was committed after the cursor moved on arrives later, never before it.
    rest = await page_all(store, ANALYSTS, ObjectFilter(after_us=after), 30)
    assert len(seen + rest) == len(set(seen + rest)) == 1000


async def test_a_redelivered_version_is_not_stored_twice(store: Store) -> None:
    await store.ensure_collections([ANALYSTS])
    assert await store.add_versions({ANALYSTS.id: indicators(10)}) == 10
    assert await store.add_versions({ANALYSTS.id: indicators(10)}) == 0
    assert await store.add_versions({ANALYSTS.id: indicators(10) + indicators(10)}) == 0


async def test_first_and_last_follow_the_version_not_the_arrival(store: Store) -> None:
    await store.ensure_collections([ANALYSTS])
    times = ["2026-11-20T08:00:00.000Z", "2026-11-21T08:00:00.000Z", "2026-11-22T08:00:00.000Z"]
    # The middle version arrives last: it must become neither first nor last.
    await store.add_versions({ANALYSTS.id: [version_of(indicator(1, times[2]))]})
    await store.add_versions({ANALYSTS.id: [version_of(indicator(1, times[0]))]})
    await store.add_versions({ANALYSTS.id: [version_of(indicator(1, times[1]))]})

    async def versions(match: VersionMatch) -> list[str]:
        page = await store.page_manifest(ANALYSTS.id, ObjectFilter(versions=match), 10)
        return sorted(entry.version for entry in page.items)

    assert await versions(LAST) == [times[2]]
    assert await versions(VersionMatch(first=True)) == [times[0]]
    assert await versions(VersionMatch(first=True, last=True)) == [times[0], times[2]]
    assert await versions(ALL) == times
    assert await versions(VersionMatch(at_us=(to_us(times[1]),))) == [times[1]]


async def test_a_version_in_a_leap_second_is_kept_in_order_and_found(store: Store) -> None:
    # STIX 2.1 allows 23:59:60; datetime does not, and the store refused such a version.
    await store.ensure_collections([ANALYSTS])
    times = ["2016-12-31T23:59:59.000Z", "2016-12-31T23:59:60.500Z", "2017-01-01T00:00:00.000Z"]
    for modified in (times[2], times[1], times[0]):
        await store.add_versions({ANALYSTS.id: [version_of(indicator(3, modified))]})
    page = await store.page_manifest(ANALYSTS.id, ObjectFilter(versions=ALL), 10)
    assert sorted(entry.version for entry in page.items) == times
    last = await store.page_manifest(ANALYSTS.id, ObjectFilter(), 10)
    assert [entry.version for entry in last.items] == [times[2]]
    leap = ObjectFilter(versions=VersionMatch(at_us=(to_us(times[1]),)))
    assert [e.version for e in (await store.page_manifest(ANALYSTS.id, leap, 10)).items] == [
        times[1]
    ]


async def test_versions_of_one_object_in_one_batch_get_their_marks_right(store: Store) -> None:
    await store.ensure_collections([ANALYSTS])
    stamps = [f"2026-11-2{day}T08:00:00.000Z" for day in (3, 1, 2)]
    await store.add_versions({ANALYSTS.id: [version_of(indicator(7, s)) for s in stamps]})
    last = await store.page_manifest(ANALYSTS.id, ObjectFilter(), 10)
    first = await store.page_manifest(
        ANALYSTS.id, ObjectFilter(versions=VersionMatch(first=True)), 10
    )
    assert [e.version for e in last.items] == [stamps[0]]
    assert [e.version for e in first.items] == [stamps[1]]


async def test_filters_by_id_type_added_after_and_limit(store: Store) -> None:
    await store.ensure_collections([ANALYSTS])
    await store.add_versions({ANALYSTS.id: indicators(20)})
    everything = await store.page_manifest(ANALYSTS.id, ObjectFilter(), 100)
    wanted = (indicator_id(3), indicator_id(11))
    by_id = await store.page_manifest(ANALYSTS.id, ObjectFilter(ids=wanted), 100)
    assert sorted(e.object_id for e in by_id.items) == sorted(wanted)
    assert (await store.page_manifest(ANALYSTS.id, ObjectFilter(types=("malware",)), 9)).items == []
    after_fifth = everything.added[4]
    later = await store.page_manifest(ANALYSTS.id, ObjectFilter(after_us=after_fifth), 100)
    assert later.added == everything.added[5:]
    first_page = await store.page_manifest(ANALYSTS.id, ObjectFilter(), 7)
    assert len(first_page.items) == 7 and first_page.more
    assert first_page.first_added == everything.added[0]
    assert first_page.last_added == everything.added[6]


async def test_clearance_hides_versions_marked_above_it(store: Store) -> None:
    await store.ensure_collections([ANALYSTS])
    await store.add_versions(
        {
            ANALYSTS.id: [
                version_of(indicator(1, tlp=Tlp.RED)),
                version_of(indicator(2, tlp=Tlp.AMBER_STRICT)),
                version_of(indicator(3, tlp=None)),
            ]
        }
    )
    below_red = await store.page_manifest(
        ANALYSTS.id, ObjectFilter(max_tlp=int(Tlp.AMBER_STRICT)), 10
    )
    assert sorted(e.object_id for e in below_red.items) == [indicator_id(2), indicator_id(3)]
    assert not await store.object_is_held(ANALYSTS.id, indicator_id(1), int(Tlp.AMBER_STRICT))
    assert await store.object_is_held(ANALYSTS.id, indicator_id(1), int(Tlp.RED))


async def test_an_unversioned_object_is_kept_once_with_date_added_as_version(
    store: Store,
) -> None:
    await store.ensure_collections([ANALYSTS])
    observable = {"type": "ipv4-addr", "id": "ipv4-addr--6e2a4f30-8b7a-5f08-b3e1-2a4ac3d0f6a1"}
    observable["value"] = "198.51.100.7"
    assert await store.add_versions({ANALYSTS.id: [version_of(observable)] * 2}) == 1
    assert await store.add_versions({ANALYSTS.id: [version_of(observable)]}) == 0
    page = await store.page_manifest(ANALYSTS.id, ObjectFilter(), 10)
    (entry,) = page.items
    assert entry.spec_version == "2.1"
    assert to_us(entry.version) == entry.date_added


async def test_deleting_a_version_moves_the_last_mark(store: Store) -> None:
    await store.ensure_collections([ANALYSTS])
    old, new = "2026-11-20T08:00:00.000Z", "2026-11-21T08:00:00.000Z"
    await store.add_versions(
        {ANALYSTS.id: [version_of(indicator(1, old)), version_of(indicator(1, new))]}
    )
    deleted = await store.delete_versions(
        ANALYSTS.id, indicator_id(1), versions=VersionMatch(at_us=(to_us(new),))
    )
    assert deleted == 1
    page = await store.page_manifest(ANALYSTS.id, ObjectFilter(), 10)
    assert [e.version for e in page.items] == [old]
    assert await store.delete_versions(ANALYSTS.id, indicator_id(1), versions=ALL) == 1
    assert not await store.object_is_held(ANALYSTS.id, indicator_id(1))


async def test_a_page_costs_the_same_deep_in_a_large_collection(store: Store) -> None:
    """The cursor is an index range: the 90th page reads as few rows as the first."""
    await store.ensure_collections([ANALYSTS])
    await store.add_versions({ANALYSTS.id: indicators(5000)})
    everything = await page_all(store, ANALYSTS, ObjectFilter(), 1000)
    deep = await store.page_objects(ANALYSTS.id, ObjectFilter(after_us=everything[4900]), 100)
    assert len(deep.items) == 99 and not deep.more


async def test_every_version_reads_the_objects_asked_for_across_pages(store: Store) -> None:
    await store.ensure_collections([ANALYSTS])
    stamps = [f"2026-11-2{d}T08:00:00.000Z" for d in range(1, 6)]
    await store.add_versions(
        {
            ANALYSTS.id: [
                *(version_of(indicator(1, stamp)) for stamp in stamps),
                version_of(indicator(2, stamps[0], tlp=Tlp.RED)),
                *(version_of(indicator(3, stamp)) for stamp in stamps[:2]),
            ]
        }
    )
    read = [
        item.body
        async for item in store.every_version(
            ANALYSTS.id, (indicator_id(1), indicator_id(2)), int(Tlp.AMBER), page_size=2
        )
    ]
    # All five versions of the first, over three pages; the RED one above the clearance and
    # the object not asked for, none.
    assert [indicator_id(1) in body for body in read] == [True] * 5
    assert sorted(stamp for body in read for stamp in stamps if stamp in body) == stamps
