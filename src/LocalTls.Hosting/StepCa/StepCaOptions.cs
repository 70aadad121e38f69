namespace LocalTls.StepCa;

/// <summary>What goes into step-ca's <c>ca.json</c>, apart from the file paths (see <see cref="StepCaLayout"/>).</summary>
internal sealed class StepCaOptions
{
    /// <summary>
    /// The in-cluster Service names step-ca answers to by default (Service <c>step-ca</c> in namespace <c>step-ca</c>).
    /// The bare <c>step-ca</c> is left out on purpose: a root made with the default name constraints
    /// (<see cref="LocalTls.Pki.CaOptions.DefaultPermittedDnsDomains"/>) does not permit it, and one SAN outside the
    /// constraints makes every client (Go, OpenSSL, .NET) reject step-ca's own certificate.
    /// </summary>
    public static IReadOnlyList<string> ClusterServiceDnsNames { get; } =
        ["step-ca.step-ca.svc.cluster.local", "step-ca.step-ca.svc"];

    /// <summary>Where step-ca listens: <c>host:port</c>, <c>:port</c> for every interface, <c>[::1]:port</c> for IPv6. Default <c>:9000</c>.</summary>
    public string Address { get; set; } = ":9000";

    /// <summary>
    /// The names and IP addresses in step-ca's own TLS certificate. The first one makes step-ca's primary URL
    /// (<see cref="StepCaConfig.BaseUrl(StepCaOptions)"/>). Default: <see cref="ClusterServiceDnsNames"/>; add
    /// <c>localhost</c>, <c>127.0.0.1</c> and the like for clients outside the cluster. Duplicates are dropped.
    /// </summary>
    public IList<string> DnsNames { get; set; } = [.. ClusterServiceDnsNames];

    /// <summary>The database; ACME needs one.</summary>
    public StepCaDatabaseOptions Database { get; set; } = new();

    /// <summary>The log format. Default <see cref="StepCaLogFormat.Text"/>.</summary>
    public StepCaLogFormat LogFormat { get; set; } = StepCaLogFormat.Text;

    /// <summary>
    /// The authority-wide certificate durations that provisioners inherit. Default: step-ca's own
    /// (5 minutes minimum, 24 hours maximum and default), written out.
    /// </summary>
    public StepCaClaimsOptions Claims { get; set; } = StepCaClaimsOptions.StepCaDefaults();

    /// <summary>The ACME provisioners. Default: one named <c>acme</c> (see <see cref="AcmeProvisionerOptions"/>).</summary>
    public IList<AcmeProvisionerOptions> Provisioners { get; set; } = [new AcmeProvisionerOptions()];

    /// <summary>
    /// Checks the options and says what to write instead for each problem. <see cref="StepCaConfig.RenderCaJson"/>
    /// calls it and throws <see cref="StepCaConfigurationException"/> when the list is not empty.
    /// </summary>
    /// <returns>The problems found, each a sentence; empty when the options are valid.</returns>
    public IReadOnlyList<string> Validate() => StepCaOptionsValidator.Validate(this);
}

/// <summary>step-ca's <c>db</c> section. ACME keeps accounts, orders and nonces there; without it step-ca's ACME fails.</summary>
internal sealed class StepCaDatabaseOptions
{
    /// <summary>The database engine. Default <see cref="StepCaDatabaseType.BadgerV2"/>, as <c>step ca init</c> writes.</summary>
    public StepCaDatabaseType Type { get; set; } = StepCaDatabaseType.BadgerV2;

    /// <summary>
    /// <c>dataSource</c>: the folder (badger) or file (bbolt). Default: the layout's <c>db</c> folder
    /// (for bbolt, <c>db/step.db</c>).
    /// </summary>
    public string? DataSource { get; set; }

    /// <summary>Badger's <c>badgerFileLoadingMode</c>; <see langword="null"/> leaves step-ca's default (memory map).</summary>
    public BadgerFileLoadingMode? BadgerFileLoadingMode { get; set; }
}

/// <summary>step-ca database engines.</summary>
internal enum StepCaDatabaseType
{
    /// <summary><c>badgerv2</c>: a folder of files.</summary>
    BadgerV2,

    /// <summary><c>bbolt</c>: a single file.</summary>
    BBolt,
}

/// <summary>How badger loads its value log (<c>badgerFileLoadingMode</c>).</summary>
internal enum BadgerFileLoadingMode
{
    /// <summary><c>mmap</c>: memory-mapped, badger's default.</summary>
    MemoryMap,

    /// <summary><c>fileio</c>: plain reads, for machines with little memory.</summary>
    FileIO,
}

/// <summary>step-ca's <c>logger.format</c>.</summary>
internal enum StepCaLogFormat
{
    /// <summary><c>text</c>: logfmt-like lines.</summary>
    Text,

    /// <summary><c>json</c>: one JSON object a line.</summary>
    Json,
}

/// <summary>
/// Certificate durations (step-ca "claims"). A duration left <see langword="null"/> is inherited: a
/// provisioner's from the authority's, the authority's from step-ca's defaults (5 minutes, 24 hours, 24 hours).
/// step-ca accepts whole durations down to nanoseconds; they are written in Go's form (<c>2160h</c>, <c>1h30m</c>).
/// </summary>
public sealed class StepCaClaimsOptions
{
    /// <summary>step-ca's built-in minimum TLS certificate duration: 5 minutes.</summary>
    internal static readonly TimeSpan StepCaDefaultMin = TimeSpan.FromMinutes(5);

    /// <summary>step-ca's built-in maximum TLS certificate duration: 24 hours.</summary>
    internal static readonly TimeSpan StepCaDefaultMax = TimeSpan.FromHours(24);

    /// <summary>step-ca's built-in default TLS certificate duration: 24 hours.</summary>
    internal static readonly TimeSpan StepCaDefaultDefault = TimeSpan.FromHours(24);

    /// <summary><c>minTLSCertDuration</c>: the shortest certificate a client may ask for.</summary>
    public TimeSpan? MinTlsCertDuration { get; set; }

    /// <summary><c>maxTLSCertDuration</c>: the longest certificate a client may ask for.</summary>
    public TimeSpan? MaxTlsCertDuration { get; set; }

    /// <summary><c>defaultTLSCertDuration</c>: what a client gets when it asks for no duration.</summary>
    public TimeSpan? DefaultTlsCertDuration { get; set; }

    /// <summary>step-ca's built-in durations, written out: 5 minutes, 24 hours, 24 hours.</summary>
    internal static StepCaClaimsOptions StepCaDefaults() => new()
    {
        MinTlsCertDuration = StepCaDefaultMin,
        MaxTlsCertDuration = StepCaDefaultMax,
        DefaultTlsCertDuration = StepCaDefaultDefault,
    };

    internal bool IsEmpty => MinTlsCertDuration is null && MaxTlsCertDuration is null && DefaultTlsCertDuration is null;
}

/// <summary>An ACME provisioner: its directory is <c>https://{step-ca}/acme/{Name}/directory</c>.</summary>
public sealed class AcmeProvisionerOptions
{
    /// <summary>The default provisioner name, <c>acme</c>.</summary>
    public const string DefaultName = "acme";

    /// <summary>The default longest certificate the default provisioner issues on request: 90 days (2160h).</summary>
    public static readonly TimeSpan DefaultMaxTlsCertDuration = TimeSpan.FromDays(90);

    /// <summary>The name: part of the ACME directory URL, so letters, digits, <c>-</c>, <c>_</c> and <c>.</c> only. Default <c>acme</c>.</summary>
    public string Name { get; set; } = DefaultName;

    /// <summary>
    /// The challenges offered (<c>challenges</c>). Default: all three. step-ca 0.19.0 ignores this field and
    /// always offers http-01 and tls-alpn-01 for DNS names (dns-01 too, and only dns-01 for wildcards);
    /// later step-ca versions offer only the listed ones.
    /// </summary>
    public IList<StepCaAcmeChallenge> Challenges { get; set; } = [StepCaAcmeChallenge.Http01, StepCaAcmeChallenge.Dns01, StepCaAcmeChallenge.TlsAlpn01];

    /// <summary><c>forceCN</c>: put the first DNS name in the subject common name when the request has none.</summary>
    public bool ForceCN { get; set; }

    /// <summary>
    /// The provisioner's own durations, overriding the authority's. Default: maximum 90 days, the rest inherited,
    /// so certificates are issued for 24 hours unless a client asks for longer (up to 90 days).
    /// </summary>
    public StepCaClaimsOptions? Claims { get; set; } = new() { MaxTlsCertDuration = DefaultMaxTlsCertDuration };
}

/// <summary>ACME challenge types.</summary>
public enum StepCaAcmeChallenge
{
    /// <summary><c>http-01</c>: a file served on port 80 of the name.</summary>
    Http01,

    /// <summary><c>dns-01</c>: a TXT record at <c>_acme-challenge.{name}</c>.</summary>
    Dns01,

    /// <summary><c>tls-alpn-01</c>: a special certificate served on port 443 of the name.</summary>
    TlsAlpn01,
}
