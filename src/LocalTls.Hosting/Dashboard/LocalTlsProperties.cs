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
    public const string Failures = "localtls.failures";

    /// <summary>
    /// What the dashboard's default details view shows, with a label and an order: Aspire shows only its known
    /// properties and highlighted ones until "Show all" is chosen. The rest stay for tools under their raw names.
    /// </summary>
    public static readonly IReadOnlyDictionary<string, (string DisplayName, int SortOrder)> Shown = new Dictionary<string, (string, int)>
    {
        [Problem] = ("Problem", 0),
        // A certificate (both targets; the cluster adds cert-manager's status).
        [DnsNames] = ("Names", 1),
        [Expires] = ("Expires", 2),
        [Renews] = ("Renews", 3),
        [Failures] = ("Failures", 4),
        [Serial] = ("Serial", 5),
        [Revision] = ("Revision", 6),
        [Reason] = ("Reason", 7),
        [Message] = ("Message", 8),
        [Issuance] = ("Issuance", 9),
        [SecretName] = ("Secret", 10),
        [Files] = ("Files", 11),
        // A CA (host: executable and version; cluster: namespace, image, pod).
        [Namespace] = ("Namespace", 20),
        [AcmeDirectory] = ("ACME directory", 21),
        [Executable] = ("Executable", 22),
        [Version] = ("Version", 23),
        [Image] = ("Image", 24),
        [Pod] = ("Pod", 25),
        [Restarts] = ("Restarts", 26),
        [Fingerprint] = ("Root fingerprint", 27),
        [RootCertificate] = ("Root certificate", 28),
        [Resolver] = ("DNS resolver", 29),
        // A cluster.
        [Server] = ("API server", 40),
        [Context] = ("Context", 41),
        [KubernetesVersion] = ("Kubernetes version", 42),
        [Nodes] = ("Nodes", 43),
        [IngressClass] = ("Ingress class", 44),
        [DiscoveredIngressClass] = ("Discovered ingress class", 45),
        [IngressAddress] = ("Ingress address", 46),
        [CoreDnsOverride] = ("CoreDNS override", 47),
        [CertManager] = ("cert-manager", 48),
    };
    public const string CoreDnsOverride = "localtls.coreDnsOverride";
    public const string CertManager = "localtls.certManager";
}
