namespace LocalTls;

/// <summary>The names of the dashboard properties LocalTls resources show.</summary>
internal static class LocalTlsProperties
{
    public const string IngressClass = "localtls.ingressClass";
    public const string Namespace = "localtls.namespace";
    public const string AcmeDirectory = "localtls.acmeDirectory";
    public const string Image = "localtls.image";
    public const string Target = "localtls.target";
    public const string Server = "localtls.server";
    public const string IssuerKind = "localtls.issuerKind";
    public const string Hostname = "localtls.hostname";
    public const string DnsNames = "localtls.dnsNames";
    public const string SecretName = "localtls.secretName";
    public const string Issuer = "localtls.issuer";
    public const string Resolver = "localtls.resolver";
    public const string Fingerprint = "localtls.rootFingerprint";
    public const string RootCertificate = "localtls.rootCertificate";
    public const string Problem = "localtls.problem";
    public const string NotAfter = "localtls.notAfter";
    public const string RenewalTime = "localtls.renewalTime";
    public const string Serial = "localtls.serial";
    public const string Files = "localtls.files";
    public const string ProcessId = "localtls.pid";
    public const string Executable = "localtls.executable";
    public const string Context = "localtls.context";
    public const string KubernetesVersion = "localtls.kubernetesVersion";
    public const string Nodes = "localtls.nodes";
    public const string DiscoveredIngressClass = "localtls.discoveredIngressClass";
    public const string IngressAddress = "localtls.ingressAddress";
    public const string Pod = "localtls.pod";
    public const string PodPhase = "localtls.podPhase";
    public const string Restarts = "localtls.restarts";
    public const string Reason = "localtls.reason";
    public const string Message = "localtls.message";
    public const string AcmeAccount = "localtls.acmeAccount";
    public const string Revision = "localtls.revision";
    public const string FailedIssuanceAttempts = "localtls.failedIssuanceAttempts";
    public const string LastFailureTime = "localtls.lastFailureTime";
    public const string Issuance = "localtls.issuance";
    public const string Expires = "localtls.expires";
    public const string Renews = "localtls.renews";
    public const string Version = "localtls.version";

    /// <summary>
    /// What the dashboard's default details view shows, with a label and an order: Aspire shows only its known
    /// properties and highlighted ones until "Show all" is chosen. The rest stay for tools under their raw names.
    /// </summary>
    public static readonly IReadOnlyDictionary<string, (string DisplayName, int SortOrder)> Shown = new Dictionary<string, (string, int)>
    {
        [Problem] = ("Problem", 0),
        [DnsNames] = ("Names", 1),
        [Expires] = ("Expires", 2),
        [Renews] = ("Renews", 3),
        [Serial] = ("Serial", 4),
        [Files] = ("Files", 5),
        [AcmeDirectory] = ("ACME directory", 6),
        [Executable] = ("Executable", 7),
        [Version] = ("Version", 8),
        [Image] = ("Image", 9),
        [Fingerprint] = ("Root fingerprint", 10),
        [RootCertificate] = ("Root certificate", 11),
        [Resolver] = ("DNS resolver", 12),
    };
    public const string CoreDnsOverride = "localtls.coreDnsOverride";
    public const string CertManager = "localtls.certManager";
}
