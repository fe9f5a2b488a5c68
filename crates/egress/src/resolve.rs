//! DNS resolution, done by the proxy only. A trait so tests can make a
//! name resolve to loopback (DNS rebinding) without touching /etc/hosts.

use std::collections::HashMap;
use std::future::Future;
use std::io;
use std::net::IpAddr;
use std::pin::Pin;

pub type ResolveFuture<'a> = Pin<Box<dyn Future<Output = io::Result<Vec<IpAddr>>> + Send + 'a>>;

pub trait Resolver: Send + Sync {
    fn resolve<'a>(&'a self, host: &'a str) -> ResolveFuture<'a>;
}

/// The system resolver (getaddrinfo via tokio).
pub struct SystemResolver;

impl Resolver for SystemResolver {
    fn resolve<'a>(&'a self, host: &'a str) -> ResolveFuture<'a> {
        Box::pin(async move {
            let addrs = tokio::net::lookup_host((host, 0)).await?;
            Ok(addrs.map(|a| a.ip()).collect())
        })
    }
}

/// Fixed answers first, then the system resolver.
pub struct StaticResolver {
    pub answers: HashMap<String, Vec<IpAddr>>,
}

impl Resolver for StaticResolver {
    fn resolve<'a>(&'a self, host: &'a str) -> ResolveFuture<'a> {
        Box::pin(async move {
            match self.answers.get(host) {
                Some(addrs) => Ok(addrs.clone()),
                None => SystemResolver.resolve(host).await,
            }
        })
    }
}
