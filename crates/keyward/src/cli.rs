//! The command line, exactly as `spec.md` section 9 names it. Scripts and tests outside the
//! repository drive Keyward through these names: extend, never rename.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "keyward",
    version,
    about = "Keyward: a self-hosted App Store Connect-style API-key authority",
    long_about = "Keyward issues and verifies App Store Connect-style API keys: teams, members and roles, \
                  team and individual keys downloadable once as AuthKey_<KEYID>.p8, ES256 tokens.\n\n\
                  Settings come from defaults, then keyward.toml (or --config), then KEYWARD_* environment \
                  variables, then flags."
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Directory for Keyward's data; the SQLite database is DIR/keyward.db [default: ./keyward-data]
    #[arg(long, value_name = "DIR", global = true)]
    pub data_dir: Option<PathBuf>,
    /// Database URL, sqlite://PATH or postgres://USER@HOST/DB (overrides --data-dir)
    #[arg(long, value_name = "URL", global = true)]
    pub database_url: Option<String>,
    /// Configuration file [default: keyward.toml when present]
    #[arg(long, value_name = "FILE", global = true)]
    pub config: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the server: opens or creates the database, applies migrations, serves HTTP
    Serve(ServeArgs),
    /// Apply pending database migrations and exit
    Migrate,
    /// Administer the installation as its operator (every command takes --json)
    Admin(AdminArgs),
    /// Print a signed ES256 token for an API key, as App Store Connect clients make them
    Token(TokenArgs),
    /// Call the API with a freshly signed token and print the JSON body
    Api(ApiArgs),
    /// Certificates for clients that hard-code https://api.appstoreconnect.apple.com
    #[command(subcommand)]
    Tls(TlsCommand),
    /// Gateway policies (spec section 10)
    #[command(subcommand)]
    Policy(PolicyCommand),
    /// The installation's code-signing CA, which signs certificates and profiles (spec F1)
    #[command(subcommand)]
    Signing(SigningCommand),
}

#[derive(Debug, Subcommand)]
pub enum SigningCommand {
    /// Print the signing CA's certificate (PEM), for tests that verify certificates and profiles;
    /// made now if no node has made it yet
    Ca(SigningCaArgs),
}

#[derive(Debug, Args)]
pub struct SigningCaArgs {
    /// Write it to this file instead of stdout
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum PolicyCommand {
    /// Check a policy file: every problem is named with its line (exit 2), else its routes are listed
    Check(PolicyCheckArgs),
}

#[derive(Debug, Args)]
pub struct PolicyCheckArgs {
    /// The policy file (TOML)
    pub file: PathBuf,
    /// Print the checked policy as JSON
    #[arg(long)]
    pub json: bool,
}

/// Where the key and its identity come from: flags, then a fastlane-style API key JSON file, then
/// the environment (ASC_KEY_ID, ASC_ISSUER_ID, ASC_KEY_PATH, ASC_PRIVATE_KEY_PATH, ASC_PRIVATE_KEY).
#[derive(Debug, Args, Clone)]
pub struct CredentialArgs {
    /// The AuthKey_<KEYID>.p8 file (env ASC_KEY_PATH or ASC_PRIVATE_KEY_PATH)
    #[arg(long, value_name = "FILE")]
    pub key_file: Option<PathBuf>,
    /// The Key ID (env ASC_KEY_ID; default: the <KEYID> of an AuthKey_<KEYID>.p8 file name)
    #[arg(long, value_name = "KEYID")]
    pub key_id: Option<String>,
    /// The team's Issuer ID, for a team key (env ASC_ISSUER_ID)
    #[arg(long, value_name = "UUID", conflicts_with = "individual")]
    pub issuer_id: Option<String>,
    /// The key is an individual key: the token carries sub "user" and no iss
    #[arg(long)]
    pub individual: bool,
    /// A fastlane API key JSON file: {"key_id", "issuer_id", "key", "duration", "is_key_content_base64"}
    #[arg(long, value_name = "FILE")]
    pub api_key_json: Option<PathBuf>,
    /// Token lifetime in seconds [default: 1200, the maximum App Store Connect accepts]
    #[arg(long, value_name = "SECONDS")]
    pub lifetime: Option<i64>,
    /// Limit the token to a request, e.g. "GET /v1/apps" (repeatable)
    #[arg(long, value_name = "\"METHOD /path\"")]
    pub scope: Vec<String>,
    /// The aud claim
    #[arg(long, default_value = "appstoreconnect-v1")]
    pub audience: String,
}

#[derive(Debug, Args)]
pub struct TokenArgs {
    #[command(flatten)]
    pub credentials: CredentialArgs,
    /// Print this many tokens, one per line, each never seen before (for load tests of clients
    /// that sign a token per request)
    #[arg(long, default_value_t = 1, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub count: u32,
}

#[derive(Debug, Args)]
pub struct ApiArgs {
    /// Base URL of the API (env ASC_BASE_URL) [default: http://127.0.0.1:8080]
    #[arg(long, value_name = "URL")]
    pub base_url: Option<String>,
    /// HTTP method: GET, POST, PATCH, DELETE
    #[arg(value_name = "METHOD")]
    pub method: String,
    /// Path with query, e.g. /v1/apps?limit=5
    #[arg(value_name = "PATH")]
    pub path: String,
    /// A JSON request body
    #[arg(long, value_name = "JSON")]
    pub data: Option<String>,
    /// Trust this CA certificate (PEM) for https, e.g. <data dir>/tls/ca.pem of `keyward tls init`
    /// (env SSL_CERT_FILE)
    #[arg(long, value_name = "FILE")]
    pub cacert: Option<PathBuf>,
    #[command(flatten)]
    pub credentials: CredentialArgs,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on [default: 127.0.0.1:8080]
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<String>,
    /// The base URL clients use to reach this server, for links in responses
    #[arg(long, value_name = "URL")]
    pub public_url: Option<String>,
    /// Start with a ready-made demo team, apps, members and keys (on an empty data directory;
    /// reused on later starts) and print what clients need to call it
    #[arg(long)]
    pub demo: bool,
    /// Add POST /_keyward/reset (wipe and re-apply --seed) and GET /_keyward/requests, for test
    /// suites. Never for production: anyone who reaches the server can wipe it
    #[arg(long)]
    pub test_mode: bool,
    /// Apply this seed file at start (and on every reset in test mode)
    #[arg(long, value_name = "FILE")]
    pub seed: Option<PathBuf>,
    /// Serve HTTPS with the certificate of `keyward tls init` (for api.appstoreconnect.apple.com)
    #[arg(long)]
    pub tls: bool,
    /// Log lines as `text` (colours only at a terminal) or `json` (one object per line, for log
    /// shippers); also the `log_format` setting
    #[arg(long, value_name = "FORMAT", value_parser = ["text", "json"])]
    pub log_format: Option<String>,
    /// Put Keyward's keys in front of your own API with this policy file (TOML; see
    /// docs/GATEWAY.md): forward auth at /_keyward/authz; also the `policy` setting
    #[arg(long, value_name = "FILE")]
    pub policy: Option<PathBuf>,
    /// Proxy the policy's routes to this URL (overrides the policy's `upstream`); also the
    /// `upstream` setting
    #[arg(long, value_name = "URL")]
    pub upstream: Option<String>,
    /// Trust only the certificate authorities in this PEM bundle for an https upstream (instead of
    /// the public web's); also the `upstream_ca_file` setting
    #[arg(long, value_name = "FILE")]
    pub upstream_ca: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum TlsCommand {
    /// Create a local certificate authority and a server certificate for
    /// api.appstoreconnect.apple.com and localhost under <data dir>/tls/, and print how to trust it
    Init(TlsInitArgs),
}

#[derive(Debug, Args)]
pub struct TlsInitArgs {
    /// Replace existing certificates
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct AdminArgs {
    /// Print JSON on stdout: one object, or one object per line for lists
    #[arg(long, global = true)]
    pub json: bool,
    #[command(subcommand)]
    pub command: AdminCommand,
}

#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// First run: create the operator, the first team and its Account Holder (the same person)
    Init(InitArgs),
    /// Create and list teams
    #[command(subcommand)]
    Team(TeamCommand),
    /// Request, approve or reject a team's API access (K1, K2)
    #[command(subcommand)]
    Access(AccessCommand),
    /// Add members, change their roles, remove them
    #[command(subcommand)]
    Member(MemberCommand),
    /// Create apps
    #[command(subcommand)]
    App(AppCommand),
    /// Add builds to an app, as if uploaded and processed (spec F2)
    #[command(subcommand)]
    Build(BuildCommand),
    /// Make a beta tester's own moves: accepting, installing, access revoked (spec F2)
    #[command(subcommand)]
    Tester(TesterCommand),
    /// Make App Review's moves of a review submission (spec F3)
    #[command(subcommand)]
    Review(ReviewCommand),
    /// Generate, download, list, show and revoke API keys
    #[command(subcommand)]
    Key(KeyCommand),
    /// Add, list and remove a team's key webhooks: key events signed as Standard Webhooks (X5)
    #[command(subcommand)]
    KeyWebhook(KeyWebhookCommand),
    /// Print a team's audit log (--json: JSON Lines)
    Audit(TeamOnly),
    /// Apply a seed file (TOML or JSON; see examples/seed.toml): teams, members, apps, invitations,
    /// keys with fixed Key IDs. Applying it twice changes nothing.
    Seed(SeedArgs),
    /// A one-time link (3 days) for someone without a password to choose one
    ActivationLink(ActivationArgs),
    /// Write a consistent copy of the SQLite database to FILE, while `serve` runs (spec D1)
    Backup(FileArgs),
    /// Fill an empty data directory with a backup made by `admin backup` (spec D1)
    Restore(FileArgs),
}

#[derive(Debug, Subcommand)]
pub enum KeyWebhookCommand {
    /// Post key events to URL; prints the signing secret (whsec_…), shown this once
    Add(KeyWebhookAddArgs),
    /// List a team's key webhooks (never their secrets)
    List(TeamOnly),
    /// Remove a key webhook; its pending deliveries are dropped
    Remove(KeyWebhookRemoveArgs),
}

#[derive(Debug, Args)]
pub struct KeyWebhookAddArgs {
    #[arg(long, value_name = "TEAM")]
    pub team: String,
    /// Where events are posted (http or https; not Keyward itself, link-local or metadata addresses)
    #[arg(long, value_name = "URL")]
    pub url: String,
    /// The events, comma-separated (default: all): key.created, key.downloaded, key.revoked, key.expiring, key.expired, key.authentication_failures
    #[arg(long, value_name = "EVENT[,EVENT…]", default_value = "")]
    pub events: String,
}

#[derive(Debug, Args)]
pub struct KeyWebhookRemoveArgs {
    #[arg(long, value_name = "TEAM")]
    pub team: String,
    /// The webhook's ID, as `key-webhook list` shows it
    #[arg(value_name = "ID")]
    pub id: String,
}

#[derive(Debug, Args)]
pub struct ActivationArgs {
    /// The person's email
    #[arg(long)]
    pub email: String,
}

#[derive(Debug, Args)]
pub struct SeedArgs {
    /// The seed file
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
}

#[derive(Debug, Args)]
pub struct InitArgs {
    /// Name of the first team
    #[arg(long)]
    pub team: String,
    /// Email of the operator, who is also the team's Account Holder
    #[arg(long)]
    pub email: String,
    #[arg(long, default_value = "")]
    pub first_name: String,
    #[arg(long, default_value = "")]
    pub last_name: String,
    /// Read a console password from the first line of standard input
    #[arg(long)]
    pub password_stdin: bool,
}

#[derive(Debug, Subcommand)]
pub enum TeamCommand {
    /// Create a team and its Account Holder
    Create(TeamCreateArgs),
    /// List teams with their Issuer IDs and API access state
    List,
    /// Set the team's hourly request budget per key (L1); --default returns to the installation's
    SetRateLimit(TeamRateLimitArgs),
    /// Cap the lifetime of the team's new keys (X3); --none lifts the cap
    SetKeyLifetime(TeamKeyLifetimeArgs),
}

#[derive(Debug, Args)]
pub struct TeamKeyLifetimeArgs {
    /// The team's Issuer ID or exact name
    #[arg(long, value_name = "TEAM")]
    pub team: String,
    /// New keys expire within this many days; a key created without an expiry gets the longest
    #[arg(long, value_name = "DAYS", required_unless_present = "none", conflicts_with = "none")]
    pub max_days: Option<u32>,
    /// New keys may live for ever again (keys made meanwhile keep their expiry)
    #[arg(long)]
    pub none: bool,
}

#[derive(Debug, Args)]
pub struct TeamRateLimitArgs {
    /// The team's Issuer ID or exact name
    #[arg(long, value_name = "TEAM")]
    pub team: String,
    /// Requests per key per rolling hour
    #[arg(long, value_name = "N", required_unless_present = "default", conflicts_with = "default")]
    pub per_hour: Option<u32>,
    /// Use the installation's rate_limit_per_hour again
    #[arg(long)]
    pub default: bool,
}

#[derive(Debug, Args)]
pub struct TeamCreateArgs {
    #[arg(long)]
    pub name: String,
    /// Email of the team's Account Holder (an existing login is reused)
    #[arg(long, value_name = "EMAIL")]
    pub account_holder: String,
    /// Read the Account Holder's console password from the first line of standard input
    #[arg(long)]
    pub password_stdin: bool,
}

#[derive(Debug, Args)]
pub struct FileArgs {
    /// The backup file
    pub file: PathBuf,
}

#[derive(Debug, Args)]
pub struct TeamOnly {
    /// The team's Issuer ID or exact name
    #[arg(long, value_name = "TEAM")]
    pub team: String,
}

#[derive(Debug, Subcommand)]
pub enum AccessCommand {
    /// Request API access, as the team's Account Holder, accepting the terms (K1)
    Request(TeamOnly),
    /// Approve a pending request, as operator (K2)
    Approve(TeamOnly),
    /// Reject a pending request, as operator (K2); the Account Holder may request again
    Reject(TeamOnly),
}

#[derive(Debug, Subcommand)]
pub enum MemberCommand {
    /// Add a member to a team
    Add(MemberAddArgs),
    /// Replace a member's roles (GENERATE_INDIVIDUAL_KEYS among them is the permission)
    SetRoles(MemberSetRolesArgs),
    /// Remove a member; their individual key is revoked (K14)
    Remove(MemberRef),
}

#[derive(Debug, Args)]
pub struct MemberAddArgs {
    #[arg(long, value_name = "TEAM")]
    pub team: String,
    #[arg(long)]
    pub email: String,
    /// Comma-separated roles, e.g. DEVELOPER,MARKETING
    #[arg(long, value_name = "ROLE[,ROLE…]")]
    pub roles: String,
    #[arg(long, default_value = "")]
    pub first_name: String,
    #[arg(long, default_value = "")]
    pub last_name: String,
    /// The member sees every app (the default)
    #[arg(long, conflicts_with = "apps")]
    pub all_apps: bool,
    /// The member sees only these apps (comma-separated app IDs)
    #[arg(long, value_name = "ID[,ID…]")]
    pub apps: Option<String>,
    /// Grant access to Certificates, Identifiers & Profiles
    #[arg(long)]
    pub provisioning: bool,
    /// Withhold the Generate Individual API Keys permission (granted by default, K6)
    #[arg(long)]
    pub no_individual_keys: bool,
    /// Read a console password from the first line of standard input
    #[arg(long)]
    pub password_stdin: bool,
}

#[derive(Debug, Args)]
pub struct MemberSetRolesArgs {
    #[arg(long, value_name = "TEAM")]
    pub team: String,
    #[arg(long)]
    pub email: String,
    #[arg(long, value_name = "ROLE[,ROLE…]")]
    pub roles: String,
}

#[derive(Debug, Args)]
pub struct MemberRef {
    #[arg(long, value_name = "TEAM")]
    pub team: String,
    #[arg(long)]
    pub email: String,
}

#[derive(Debug, Subcommand)]
pub enum AppCommand {
    /// Create an app in a team
    Create(AppCreateArgs),
}

#[derive(Debug, Subcommand)]
pub enum ReviewCommand {
    /// Move a review submission (its items and App Store versions follow) or a beta app review
    /// submission (its build's beta detail follows) as App Review would: IN_REVIEW from
    /// WAITING_FOR_REVIEW, then REJECTED or APPROVED
    Move(ReviewMoveArgs),
}

#[derive(Debug, Args)]
pub struct ReviewMoveArgs {
    /// The review submission's or beta app review submission's ID
    pub submission: String,
    /// IN_REVIEW, REJECTED or APPROVED
    #[arg(long, value_name = "STATE")]
    pub to: String,
}

#[derive(Debug, Subcommand)]
pub enum TesterCommand {
    /// Move a beta tester as the tester would: ACCEPTED from INVITED, INSTALLED from INVITED or
    /// ACCEPTED, REVOKED from any of those
    Move(TesterMoveArgs),
}

#[derive(Debug, Args)]
pub struct TesterMoveArgs {
    /// The beta tester's ID
    pub tester: String,
    /// ACCEPTED, INSTALLED or REVOKED
    #[arg(long, value_name = "STATE")]
    pub to: String,
}

#[derive(Debug, Subcommand)]
pub enum BuildCommand {
    /// Add a build of an app under its pre-release version (made if the app has none of it)
    Add(BuildAddArgs),
}

#[derive(Debug, Args)]
pub struct BuildAddArgs {
    #[arg(long, value_name = "TEAM")]
    pub team: String,
    /// The app: its bundle ID or numeric ID
    #[arg(long, value_name = "APP")]
    pub app: String,
    /// CFBundleShortVersionString, e.g. 1.2.0
    #[arg(long)]
    pub version: String,
    /// CFBundleVersion, e.g. 42
    #[arg(long, value_name = "NUMBER")]
    pub build_number: String,
    /// IOS, MAC_OS, TV_OS or VISION_OS
    #[arg(long, default_value = "IOS")]
    pub platform: String,
    /// The build's processingState: VALID, PROCESSING, FAILED or INVALID
    #[arg(long, default_value = "VALID")]
    pub state: String,
    /// With --state PROCESSING: seconds until `serve` makes it VALID (default: the
    /// configuration's build_processing_seconds)
    #[arg(long, value_name = "SECONDS")]
    pub processing_seconds: Option<u32>,
}

#[derive(Debug, Args)]
pub struct AppCreateArgs {
    #[arg(long, value_name = "TEAM")]
    pub team: String,
    #[arg(long)]
    pub name: String,
    #[arg(long, value_name = "ID")]
    pub bundle_id: String,
    #[arg(long)]
    pub sku: String,
    #[arg(long, default_value = "en-US")]
    pub primary_locale: String,
}

#[derive(Debug, Subcommand)]
pub enum KeyCommand {
    /// Generate a team key (--name, --roles) or a member's individual key (--individual --member)
    Create(KeyCreateArgs),
    /// The single download of a key created without --out: writes DIR/AuthKey_<KEYID>.p8
    Download(KeyDownloadArgs),
    /// List a team's keys: active, then revoked or expired within the retention period
    List(KeyListArgs),
    /// Show a key's details, last use and recent authentication failures
    Show(KeyShowArgs),
    /// Revoke one or more keys of a team, in one transaction (irreversible)
    Revoke(KeyRevokeArgs),
    /// Replace a key by a successor with its name, roles and kind; revoke it now or after --grace
    Rotate(KeyRotateArgs),
    /// Grant or withdraw a capability: KEY_MANAGER lets an ADMIN team key manage keys (X1)
    Capability(KeyCapabilityArgs),
}

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("change").required(true).args(["grant", "withdraw"])))]
pub struct KeyCapabilityArgs {
    #[arg(long, value_name = "TEAM")]
    pub team: String,
    /// The key
    #[arg(value_name = "KEYID")]
    pub key_id: String,
    /// Grant this capability (KEY_MANAGER)
    #[arg(long, value_name = "CAPABILITY")]
    pub grant: Option<String>,
    /// Withdraw this capability (KEY_MANAGER)
    #[arg(long, value_name = "CAPABILITY")]
    pub withdraw: Option<String>,
}

#[derive(Debug, Args)]
pub struct KeyListArgs {
    /// The team's Issuer ID or exact name
    #[arg(long, value_name = "TEAM")]
    pub team: String,
    /// Only working keys not used for this long (never used: since they were made), as 90d
    #[arg(long, value_name = "SPAN")]
    pub unused: Option<String>,
}

#[derive(Debug, Args)]
pub struct KeyRotateArgs {
    #[arg(long, value_name = "TEAM")]
    pub team: String,
    /// The key to rotate out
    #[arg(value_name = "KEYID")]
    pub key_id: String,
    /// How long the old key keeps working beside its successor, as 24h (default: revoked at once)
    #[arg(long, value_name = "SPAN")]
    pub grace: Option<String>,
    /// The successor's P-256 public key (PEM); otherwise Keyward makes the pair at its download
    #[arg(long, value_name = "FILE", conflicts_with = "out")]
    pub public_key: Option<PathBuf>,
    /// The successor's expiry: a span (90d), a date (2027-03-01) or an RFC 3339 time
    #[arg(long, value_name = "WHEN")]
    pub expires: Option<String>,
    /// Download the successor at once into DIR/AuthKey_<KEYID>.p8 (mode 0600)
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct KeyCreateArgs {
    #[arg(long, value_name = "TEAM")]
    pub team: String,
    /// Name of a team key, for reference (1–64 characters)
    #[arg(long, required_unless_present = "individual", conflicts_with = "individual")]
    pub name: Option<String>,
    /// Roles of a team key, comma-separated
    #[arg(long, value_name = "ROLE[,ROLE…]", required_unless_present = "individual", conflicts_with = "individual")]
    pub roles: Option<String>,
    /// Generate the individual key of --member
    #[arg(long, requires = "member")]
    pub individual: bool,
    /// Email of the member whose individual key this is
    #[arg(long, value_name = "EMAIL", requires = "individual")]
    pub member: Option<String>,
    /// Download at once into DIR/AuthKey_<KEYID>.p8 (mode 0600)
    #[arg(long, value_name = "DIR", conflicts_with = "public_key")]
    pub out: Option<PathBuf>,
    /// Make the key from this P-256 public key (PEM); the private key stays with you and there is
    /// no download
    #[arg(long, value_name = "FILE")]
    pub public_key: Option<PathBuf>,
    /// Expiry: a span (90d), a date (2027-03-01) or an RFC 3339 time; the team's cap applies
    #[arg(long, value_name = "WHEN")]
    pub expires: Option<String>,
}

#[derive(Debug, Args)]
pub struct KeyDownloadArgs {
    #[arg(value_name = "KEYID")]
    pub key_id: String,
    /// Directory to write AuthKey_<KEYID>.p8 into (mode 0600)
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
}

#[derive(Debug, Args)]
pub struct KeyShowArgs {
    #[arg(value_name = "KEYID")]
    pub key_id: String,
}

#[derive(Debug, Args)]
pub struct KeyRevokeArgs {
    #[arg(long, value_name = "TEAM")]
    pub team: String,
    #[arg(value_name = "KEYID", required = true)]
    pub key_ids: Vec<String>,
}
