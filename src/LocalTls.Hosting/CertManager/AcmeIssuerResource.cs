namespace Aspire.Hosting.ApplicationModel;

/// <summary>Whether an issuer is cluster-wide or lives in one namespace.</summary>
public enum CertManagerIssuerKind
{
    /// <summary>A <c>ClusterIssuer</c>: certificates in every namespace can use it (the seed's choice).</summary>
    ClusterIssuer,

    /// <summary>An <c>Issuer</c> in one namespace.</summary>
    Issuer,
}

/// <summary>
/// A cert-manager ACME issuer: either the local step-ca (with its root as <c>caBundle</c>) or a public ACME
/// server such as Let's Encrypt. Certificates and Ingresses name it; only the server differs between them.
/// </summary>
/// <param name="name">The resource name, also the issuer's Kubernetes name.</param>
public sealed class AcmeIssuerResource(string name) : Resource(name)
{
    /// <summary>Let's Encrypt's production ACME directory.</summary>
    public const string LetsEncryptProduction = "https://acme-v02.api.letsencrypt.org/directory";

    /// <summary>Let's Encrypt's staging ACME directory.</summary>
    public const string LetsEncryptStaging = "https://acme-staging-v02.api.letsencrypt.org/directory";

    /// <summary>The step-ca this issuer points at; <see langword="null"/> for a public ACME server.</summary>
    public StepCaResource? Ca { get; internal set; }

    /// <summary>The ACME provisioner of <see cref="Ca"/>; <see langword="null"/> for its default.</summary>
    public string? ProvisionerName { get; internal set; }

    /// <summary>A public ACME directory URL, when <see cref="Ca"/> is <see langword="null"/>.</summary>
    public Uri? Server { get; internal set; }

    /// <summary>The ACME account e-mail.</summary>
    public string? Email { get; internal set; }

    /// <summary>ClusterIssuer or namespaced Issuer.</summary>
    public CertManagerIssuerKind Kind { get; internal set; } = CertManagerIssuerKind.ClusterIssuer;

    /// <summary>The namespace of a namespaced <see cref="CertManagerIssuerKind.Issuer"/>.</summary>
    public string? Namespace { get; internal set; }

    /// <summary>The Secret for the ACME account key; default <c>{name}-account-key</c>.</summary>
    public string PrivateKeySecretName { get; internal set; } = $"{name}-account-key";

    /// <summary>The solver's IngressClass; <see langword="null"/> for the cluster's (k3s: traefik).</summary>
    public string? IngressClassName { get; internal set; }

    /// <summary>Pass a Certificate's <c>duration</c> to the ACME server. On for step-ca; Let's Encrypt refuses it.</summary>
    public bool EnableDurationFeature { get; internal set; }

    /// <summary>Whether this issuer is for production (a public ACME server) rather than local development.</summary>
    public bool IsPublic => Ca is null;

    /// <summary>The ACME directory URL in the cluster.</summary>
    public Uri AcmeServer => Ca is not null
        ? LocalTls.StepCa.StepCaConfig.AcmeDirectoryUrl(Ca.ClusterUrl, ProvisionerName ?? Ca.DefaultProvisionerName)
        : Server ?? throw new InvalidOperationException($"The issuer '{Name}' has neither a step-ca nor an ACME server URL.");

    /// <summary>
    /// The annotations that make cert-manager issue a certificate for a user's own Ingress through this issuer,
    /// e.g. <c>cert-manager.io/cluster-issuer: step-ca-acme</c>.
    /// </summary>
    public IReadOnlyDictionary<string, string> IngressAnnotations => Kind == CertManagerIssuerKind.ClusterIssuer
        ? new Dictionary<string, string> { ["cert-manager.io/cluster-issuer"] = Name }
        : new Dictionary<string, string> { ["cert-manager.io/issuer"] = Name };
}
