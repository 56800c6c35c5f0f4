//! A per-context cache of values of any type: each module keeps what it made once (FFT plans,
//! tables) under its own key type, without the context knowing the module.
//!
//! Values are held as `Arc<V>` in one map per `(K, V)` pair of types, found by their
//! [`TypeId`]. A value is made outside the lock, so making one may use the cache itself (a
//! Bluestein plan asks for its inner plan); two threads that miss at once both make it and
//! the first insert wins.
//!
//! Each map holds at most [`CAPACITY`] values: inserting one more drops the least recently
//! used, so a program that transforms ever new shapes (every frame size of a video
//! collection, say) holds a bounded set of plans and their tables, not one per shape it ever
//! saw. A dropped value that is still in use lives on in its users' `Arc`s; a later miss
//! makes it again.

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, Mutex};

use crate::error::Result;
use crate::gpu::context::lock;

/// Values a map of one key and value type holds before it drops the least recently used.
/// Plans are small next to the arrays they transform; 256 shapes covers any working set
/// a program cycles through, and scanning 256 entries on an insert into a full map costs
/// microseconds, next to the milliseconds of making a plan.
pub(crate) const CAPACITY: usize = 256;

/// One map's values, each with the tick of its last use.
struct Map<K, V> {
    values: HashMap<K, (Arc<V>, u64)>,
    tick: u64,
}

impl<K: Hash + Eq, V> Map<K, V> {
    fn get(&mut self, key: &K) -> Option<Arc<V>> {
        self.tick += 1;
        let tick = self.tick;
        self.values.get_mut(key).map(|(v, used)| {
            *used = tick;
            v.clone()
        })
    }

    /// Inserts `value` under `key` unless a value is there (then that one wins: two threads
    /// that missed at once), dropping the least recently used value first when the map is
    /// full. Either way the value now under `key`.
    fn insert(&mut self, key: K, value: Arc<V>, capacity: usize) -> Arc<V> {
        if let Some(v) = self.get(&key) {
            return v;
        }
        if self.values.len() >= capacity.max(1) {
            // Ticks are unique (each use takes the next one), so this drops exactly one.
            let oldest = self.values.values().map(|(_, used)| *used).min();
            self.values.retain(|_, (_, used)| Some(*used) != oldest);
        }
        self.values.insert(key, (value.clone(), self.tick));
        value
    }
}

/// Values by key, one map per key and value type.
pub(crate) struct Cache {
    maps: Mutex<HashMap<TypeId, Box<dyn Any + Send + Sync>>>,
    capacity: usize,
}

impl Default for Cache {
    fn default() -> Self {
        Cache::with_capacity(CAPACITY)
    }
}

impl Cache {
    /// A cache whose maps hold at most `capacity` values each.
    pub(crate) fn with_capacity(capacity: usize) -> Self {
        Cache {
            maps: Mutex::default(),
            capacity,
        }
    }

    /// The value under `key`, made by `make` on a miss (an error is returned, not cached).
    pub(crate) fn get_or_make<K, V>(
        &self,
        key: K,
        make: impl FnOnce() -> Result<V>,
    ) -> Result<Arc<V>>
    where
        K: Hash + Eq + Send + Sync + 'static,
        V: Send + Sync + 'static,
    {
        if let Some(v) = self.with_map(|m: &mut Map<K, V>| m.get(&key)) {
            return Ok(v);
        }
        let made = Arc::new(make()?);
        let capacity = self.capacity;
        Ok(self.with_map(|m| m.insert(key, made, capacity)))
    }

    /// Runs `f` on the map of `(K, V)`, made empty on first use.
    fn with_map<K, V, T>(&self, f: impl FnOnce(&mut Map<K, V>) -> T) -> T
    where
        K: Hash + Eq + Send + Sync + 'static,
        V: Send + Sync + 'static,
    {
        let mut maps = lock(&self.maps);
        let map = maps.entry(TypeId::of::<Map<K, V>>()).or_insert_with(|| {
            Box::new(Map::<K, V> {
                values: HashMap::new(),
                tick: 0,
            })
        });
        f(map
            .downcast_mut()
            .expect("the map under a TypeId has that type"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_made_once_per_key_and_type() {
        let cache = Cache::default();
        let mut made = 0;
        for _ in 0..3 {
            let v = cache
                .get_or_make(7u32, || {
                    made += 1;
                    Ok(String::from("seven"))
                })
                .unwrap();
            assert_eq!(*v, "seven");
        }
        assert_eq!(made, 1);
        // Same key value, other types: other maps.
        assert_eq!(*cache.get_or_make(7u32, || Ok(7u64)).unwrap(), 7);
        assert_eq!(*cache.get_or_make(7u64, || Ok(8u64)).unwrap(), 8);
        // A failed make caches nothing.
        assert!(
            cache
                .get_or_make(1u8, || Err::<u8, _>(crate::Error::unsupported("no")))
                .is_err()
        );
        assert_eq!(*cache.get_or_make(1u8, || Ok(2u8)).unwrap(), 2);
    }

    #[test]
    fn a_full_map_drops_its_least_recently_used_value() {
        let cache = Cache::with_capacity(2);
        let made = std::cell::Cell::new(0);
        let get = |k: u32| {
            *cache
                .get_or_make(k, || {
                    made.set(made.get() + 1);
                    Ok(k * 10)
                })
                .unwrap()
        };
        assert_eq!((get(1), get(2)), (10, 20));
        assert_eq!(made.get(), 2);
        // 1 used again, so 2 is the least recently used when 3 comes in.
        assert_eq!((get(1), get(3)), (10, 30));
        assert_eq!(made.get(), 3);
        assert_eq!((get(1), get(3)), (10, 30));
        assert_eq!(made.get(), 3, "1 and 3 stayed");
        assert_eq!(get(2), 20);
        assert_eq!(made.get(), 4, "2 was dropped and made again");
        // A value dropped from the cache lives on where it is held.
        let held = cache.get_or_make(9u32, || Ok(90u32)).unwrap();
        for k in 100..110 {
            get(k);
        }
        assert_eq!(*held, 90);
        // Other types' maps have their own capacity.
        assert_eq!(*cache.get_or_make(1u8, || Ok(1u8)).unwrap(), 1);
        assert_eq!(made.get(), 14);
    }
}
