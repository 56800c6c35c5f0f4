//! A per-context cache of values of any type: each module keeps what it made once (FFT plans,
//! tables) under its own key type, without the context knowing the module.
//!
//! Values are held as `Arc<V>` in one map per `(K, V)` pair of types, found by their
//! [`TypeId`]. A value is made outside the lock, so making one may use the cache itself (a
//! Bluestein plan asks for its inner plan); two threads that miss at once both make it and
//! the first insert wins.

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, Mutex};

use crate::error::Result;
use crate::gpu::context::lock;

/// Values by key, one map per key and value type.
#[derive(Default)]
pub(crate) struct Cache {
    maps: Mutex<HashMap<TypeId, Box<dyn Any + Send + Sync>>>,
}

impl Cache {
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
        if let Some(v) = self.with_map(|m: &mut HashMap<K, Arc<V>>| m.get(&key).cloned()) {
            return Ok(v);
        }
        let made = Arc::new(make()?);
        Ok(self.with_map(|m| m.entry(key).or_insert(made).clone()))
    }

    /// Runs `f` on the map of `(K, V)`, made empty on first use.
    fn with_map<K, V, T>(&self, f: impl FnOnce(&mut HashMap<K, Arc<V>>) -> T) -> T
    where
        K: Hash + Eq + Send + Sync + 'static,
        V: Send + Sync + 'static,
    {
        let mut maps = lock(&self.maps);
        let map = maps
            .entry(TypeId::of::<HashMap<K, Arc<V>>>())
            .or_insert_with(|| Box::new(HashMap::<K, Arc<V>>::new()));
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
}
