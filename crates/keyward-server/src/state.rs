//! The state every handler shares. It sits below everything that serves requests: handlers,
//! pages, layers and the router import it; it imports only the types its fields hold.

use std::sync::Arc;

use keyward_core::change::Change;
use keyward_core::error::StoreError;
use keyward_core::settings::Settings;
use keyward_store::Store;
use keyward_token::codesign::SigningCa;

use crate::auth::limiter::RateLimiter;
use crate::auth::recorder::Recorder;
use crate::client_ip::TrustedProxies;
use crate::console::passwords::Passwords;
use crate::console::throttle::Throttle;
use crate::gateway::Gateway;
use crate::mail::Mailer;
use crate::replica::Replica;
use crate::test_mode::TestMode;

/// Shared by every handler. Cloning is cheap (a pool handle and `Arc`s).
#[derive(Debug, Clone)]
pub struct AppState {
    pub store: Store,
    pub settings: Arc<Settings>,
    /// This node's copy of who may authenticate and of what `/v1` reads serve, kept by the feed.
    pub replica: Arc<Replica>,
    /// Per-key rolling-hour budgets (L1–L4; M2 across nodes).
    pub limiter: Arc<RateLimiter>,
    /// Authentication failures (T14) and last use (K16), written behind.
    pub recorder: Arc<Recorder>,
    /// The base of absolute links in responses; from the request's `Host` when unset.
    pub public_url: Option<String>,
    /// Served over TLS: links default to `https://` and the host the client asked for.
    pub https: bool,
    /// First-run setup: the one-time token of the setup URL, until it is used.
    pub setup: Option<Arc<std::sync::Mutex<Option<String>>>>,
    /// Console sign-in throttling.
    pub throttle: Arc<Throttle>,
    /// Argon2 off the async workers, a few at a time.
    pub passwords: Passwords,
    /// Proxies whose `X-Forwarded-For` names the client (setting `trusted_proxies`).
    pub trusted_proxies: Arc<TrustedProxies>,
    /// Invitation and activation mail (`[mail]`); off when not configured.
    pub mailer: Arc<Mailer>,
    /// `serve --test-mode` only: the reset seed and the request log.
    pub test_mode: Option<Arc<TestMode>>,
    /// `serve --policy`: forward auth, and with an upstream the reverse proxy (spec section 10).
    pub gateway: Option<Arc<Gateway>>,
    /// The installation's code-signing CA (spec F1), shared by every node through the store.
    pub signing: Arc<SigningCa>,
}

/// The installation's signing CA: the stored one, or a fresh one this node offers first.
async fn signing_ca(store: &Store) -> Result<SigningCa, StoreError> {
    use keyward_core::ports::SigningStore;
    let offer = SigningCa::generate().map_err(|e| StoreError::Backend(format!("cannot make the signing CA: {e}")))?;
    let (cert_pem, key_pem) = store.signing_ca((offer.cert_pem, offer.key_pem)).await?;
    Ok(SigningCa { cert_pem, key_pem })
}

impl axum::extract::FromRef<AppState> for Arc<TrustedProxies> {
    fn from_ref(state: &AppState) -> Self {
        state.trusted_proxies.clone()
    }
}

impl AppState {
    /// Loads this node's replica from the store.
    pub async fn new(store: Store, settings: Settings, public_url: Option<String>) -> Result<AppState, StoreError> {
        let replica = Replica::load(&store, &settings).await?;
        let limiter = RateLimiter::for_store(&store, u64::from(settings.rate_limit_per_hour));
        let signing = Arc::new(signing_ca(&store).await?);
        Ok(AppState {
            store,
            settings: Arc::new(settings),
            replica: Arc::new(replica),
            limiter: Arc::new(limiter),
            recorder: Arc::default(),
            public_url,
            https: false,
            throttle: Arc::default(),
            passwords: Passwords::default(),
            trusted_proxies: Arc::default(),
            mailer: Arc::new(Mailer::Off),
            setup: None,
            test_mode: None,
            gateway: None,
            signing,
        })
    }

    /// After a committed write that changes who may authenticate or what reads serve, from the API
    /// or the console: the one way it reaches this node's replica ([`Replica::apply_written`];
    /// never an error).
    pub(crate) async fn written(&self, changes: &[Change]) {
        self.replica.apply_written(&self.store, changes).await;
    }

    /// M3: whether the change feed was read within `max_feed_staleness`.
    pub(crate) fn feed_fresh(&self) -> bool {
        self.replica.feed_age_ms() <= i64::from(self.settings.max_feed_staleness) * 1000
    }
}
