//! The proxy's fast path (#24): plain-HTTP requests under the gateway's routes, read and written
//! here rather than through hyper, on both legs.
//!
//! Why: hyper's server and client machinery (a dispatcher per connection, a body channel per
//! request, boxed services and futures) cost a proxied request more CPU than the rest of the
//! proxy together; `scripts/bench gateway` measured Keyward's proxy at half of nginx's rate with
//! it (docs/GATEWAY.md, "Speed"). The fast path takes only the common, simply framed requests
//! ([`head`]); everything else on the connection, from the first request it does not take, is
//! served by hyper exactly as without it. Admission and header rewriting are the proxy's own
//! ([`crate::gateway::proxy::prepare`]), shared with hyper's path, so both decide alike.
//!
//! `serve::listen` hands every connection of a plain-HTTP listener to [`connection::serve`]: the
//! fast path when the gateway's upstream is `http://`, hyper otherwise (and for HTTPS listeners,
//! `https://` upstreams and WebSockets).

pub(crate) mod body;
pub(crate) mod connection;
pub(crate) mod date;
pub(crate) mod head;
pub(crate) mod rewind;
pub(crate) mod upstream;
