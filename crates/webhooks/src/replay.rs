//! "Each signature accepted once": a bounded in-memory front over the
//! `seen` table, so a restart does not reopen the replay window and memory
//! does not grow with traffic. Only *verified* deliveries are recorded, so
//! nobody without the secret can fill the cache.

use std::collections::{HashSet, VecDeque};
use std::sync::Mutex;

use crate::store::{Store, StoreError};

pub struct ReplayGuard {
    capacity: usize,
    memory: Mutex<Memory>,
}

#[derive(Default)]
struct Memory {
    keys: HashSet<String>,
    order: VecDeque<String>,
}

impl ReplayGuard {
    pub fn new(capacity: usize) -> Self {
        ReplayGuard {
            capacity: capacity.max(1),
            memory: Mutex::new(Memory::default()),
        }
    }

    /// `Ok(true)` the first time `key` is seen (until `expires_at`, unix
    /// seconds), `Ok(false)` for a replay. The database decides: the memory
    /// only answers replays it already knows without a query.
    pub fn first_time(
        &self,
        store: &Store,
        key: &str,
        expires_at: i64,
        now: i64,
    ) -> Result<bool, StoreError> {
        let mut memory = self.memory.lock().map_err(|_| StoreError::Poisoned)?;
        if memory.keys.contains(key) {
            return Ok(false);
        }
        let fresh = store.claim_once(key, expires_at, now)?;
        memory.keys.insert(key.to_string());
        memory.order.push_back(key.to_string());
        while memory.order.len() > self.capacity {
            if let Some(old) = memory.order.pop_front() {
                memory.keys.remove(&old);
            }
        }
        Ok(fresh)
    }

    /// Keys held in memory now (never more than the capacity).
    pub fn in_memory(&self) -> usize {
        self.memory.lock().map(|m| m.keys.len()).unwrap_or(0)
    }
}
