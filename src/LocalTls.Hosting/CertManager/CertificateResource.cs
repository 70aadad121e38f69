namespace Aspire.Hosting.ApplicationModel;

/// <summary>
/// A TLS certificate for one or more host names, issued through a cert-manager issuer into a Secret
/// (<c>tls.crt</c>, <c>tls.key</c>, <c>ca.crt</c>), exactly as in production.
/// </summary>
/// <param name="name">The resource name, also the Certificate's Kubernetes name.</param>
public sealed class CertificateResource(string name) : Resource(name)
{
    internal const string DefaultNamespace = "default";

    /// <summary>The namespace of the Certificate and its Secret.</summary>
    public string Namespace { get; internal set; } = DefaultNamespace;

    /// <summary>The Secret that receives the key pair; default <c>{name}-secret</c>, as in the seed.</summary>
    public string SecretName { get; internal set; } = $"{name}-secret";

    /// <summary>sslip.io host names the certificate is for.</summary>
    public IReadOnlyList<SslipHostnameResource> Hostnames => HostnameList;

    /// <summary>Filled only by <c>AddCertificate</c>.</summary>
    internal List<SslipHostnameResource> HostnameList { get; } = [];

    /// <summary>Other DNS names the certificate is for.</summary>
    public IReadOnlyList<string> DnsNames => DnsNameList;

    /// <summary>Added to only by <c>WithDnsNames</c>, which checks each one.</summary>
    internal List<string> DnsNameList { get; } = [];

    /// <summary>The issuer; required before rendering.</summary>
    public AcmeIssuerResource? Issuer { get; internal set; }

    /// <summary>A second issuer used when the app runs or publishes in the Production environment.</summary>
    public AcmeIssuerResource? ProductionIssuer { get; internal set; }

    /// <summary>The requested lifetime; <see langword="null"/> for the issuer's default (step-ca: 24 hours, Let's Encrypt: 90 days).</summary>
    public TimeSpan? Duration { get; internal set; }

    /// <summary>How long before expiry cert-manager renews; <see langword="null"/> for cert-manager's default (a third of the lifetime).</summary>
    public TimeSpan? RenewBefore { get; internal set; }

    /// <summary>In a cluster: the Service an Ingress for these names routes to, with TLS from this certificate's Secret; none when <see langword="null"/>.</summary>
    public (string ServiceName, int Port)? IngressBackend { get; internal set; }

    /// <summary>On this machine: the ACME challenge (<c>http-01</c> or <c>dns-01</c>); <see langword="null"/> picks dns-01, which needs no port 80.</summary>
    public string? Challenge { get; internal set; }

    /// <summary>On this machine: the folder with <c>tls.crt</c> (leaf and chain), <c>tls.key</c> and <c>ca.crt</c>, under the issuing CA's data directory.</summary>
    public string? HostDirectory => Issuer?.Ca is { Cluster: null } ca ? Path.Combine(ca.HostDataDirectory, "certificates", Name) : null;
}
