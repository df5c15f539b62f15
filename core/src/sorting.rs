//! Stable sorting with one copy of the sort code for every element type.
//!
//! The standard library's `sort*` is generic: each element type and
//! comparison gets its own copy of the sort (about 4 KB of wasm each, some
//! 80 KB across the Worker). These functions sort a list of positions with a
//! comparison behind `&dyn`, which the compiler builds once, then move the
//! elements into that order. The result is exactly `slice::sort_by`'s: stable,
//! equal elements keep their order.

use std::cmp::Ordering;

/// `items.sort_by(compare)`.
pub fn sort_by<T>(items: &mut [T], compare: impl Fn(&T, &T) -> Ordering) {
    let order = sorted_positions(items.len(), &|a, b| compare(&items[a], &items[b]));
    permute(items, order);
}

/// `items.sort_by_key(key)`: the key is computed for each comparison.
pub fn sort_by_key<T, K: Ord>(items: &mut [T], key: impl Fn(&T) -> K) {
    sort_by(items, |a, b| key(a).cmp(&key(b)));
}

/// `items.sort_by_cached_key(key)`: the key is computed once for each element.
pub fn sort_by_cached_key<T, K: Ord>(items: &mut [T], key: impl Fn(&T) -> K) {
    let keys: Vec<K> = items.iter().map(key).collect();
    let order = sorted_positions(items.len(), &|a, b| keys[a].cmp(&keys[b]));
    permute(items, order);
}

/// `items.sort()` (and `sort_unstable()`, which gives the same order where
/// equal elements cannot be told apart).
pub fn sort<T: Ord>(items: &mut [T]) {
    sort_by(items, T::cmp);
}

/// The positions `0..len` in the order `compare` puts them in (stable).
fn sorted_positions(len: usize, compare: &dyn Fn(usize, usize) -> Ordering) -> Vec<usize> {
    let mut positions: Vec<usize> = (0..len).collect();
    positions.sort_by(|a, b| compare(*a, *b));
    positions
}

/// Puts the element that was at `order[i]` at `i`, following each cycle of
/// the permutation once (linear time, no copies).
fn permute<T>(items: &mut [T], mut order: Vec<usize>) {
    const DONE: usize = usize::MAX;
    for start in 0..items.len() {
        let mut at = start;
        while order[at] != DONE {
            let from = order[at];
            order[at] = DONE;
            if from == start {
                break;
            }
            items.swap(at, from);
            at = from;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn sorts_like_the_standard_library_and_keeps_equal_elements_in_order() {
        let mut ours = vec![(3, 'a'), (1, 'b'), (3, 'c'), (2, 'd'), (1, 'e')];
        let mut std = ours.clone();
        sort_by_key(&mut ours, |p| p.0);
        std.sort_by_key(|p| p.0);
        assert_eq!(ours, std);
        assert_eq!(ours, vec![(1, 'b'), (1, 'e'), (2, 'd'), (3, 'a'), (3, 'c')]);
    }

    #[test]
    fn empty_and_single_lists() {
        let mut empty: Vec<String> = Vec::new();
        sort(&mut empty);
        assert!(empty.is_empty());
        let mut one = vec!["x".to_string()];
        sort(&mut one);
        assert_eq!(one, vec!["x"]);
    }

    proptest! {
        #[test]
        fn same_result_as_slice_sort_by(items in proptest::collection::vec((0u8..6, any::<u16>()), 0..200)) {
            // Compared on the first field only, so equal keys test stability.
            let mut ours = items.clone();
            let mut std = items;
            sort_by(&mut ours, |a, b| a.0.cmp(&b.0));
            std.sort_by_key(|a| a.0);
            prop_assert_eq!(ours, std);
        }

        #[test]
        fn same_result_as_slice_sort(items in proptest::collection::vec(".{0,4}", 0..100)) {
            let mut ours = items.clone();
            let mut std = items;
            sort(&mut ours);
            std.sort();
            prop_assert_eq!(ours, std);
        }
    }
}
