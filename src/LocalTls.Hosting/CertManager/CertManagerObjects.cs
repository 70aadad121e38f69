using k8s;
using k8s.Models;

namespace LocalTls.CertManager;

// Typed records for the cert-manager v1 kinds LocalTls renders, field for field as in cert-manager v1.21's CRDs.
// Only the fields LocalTls sets or reads are modelled; names serialize camelCase through KubernetesJson.

/// <summary>A cert-manager <c>ClusterIssuer</c> (cluster-scoped).</summary>
internal sealed class ClusterIssuer : IKubernetesObject<V1ObjectMeta>
{
    /// <summary>The API group and version.</summary>
    public const string KubeApiVersion = "cert-manager.io/v1";

    /// <summary>The kind.</summary>
    public const string KubeKind = "ClusterIssuer";

    /// <inheritdoc />
    public string ApiVersion { get; set; } = KubeApiVersion;

    /// <inheritdoc />
    public string Kind { get; set; } = KubeKind;

    /// <inheritdoc />
    public V1ObjectMeta Metadata { get; set; } = new();

    /// <summary>The issuer's configuration.</summary>
    public IssuerSpec Spec { get; set; } = new();

    /// <summary>What cert-manager reports; never set by LocalTls.</summary>
    public IssuerStatus? Status { get; set; }
}

/// <summary>A cert-manager <c>Issuer</c> (namespaced).</summary>
internal sealed class Issuer : IKubernetesObject<V1ObjectMeta>
{
    /// <summary>The kind.</summary>
    public const string KubeKind = "Issuer";

    /// <inheritdoc />
    public string ApiVersion { get; set; } = ClusterIssuer.KubeApiVersion;

    /// <inheritdoc />
    public string Kind { get; set; } = KubeKind;

    /// <inheritdoc />
    public V1ObjectMeta Metadata { get; set; } = new();

    /// <summary>The issuer's configuration.</summary>
    public IssuerSpec Spec { get; set; } = new();

    /// <summary>What cert-manager reports.</summary>
    public IssuerStatus? Status { get; set; }
}

/// <summary><c>spec</c> of an Issuer or ClusterIssuer. LocalTls renders ACME issuers only.</summary>
internal sealed class IssuerSpec
{
    /// <summary>The ACME issuer configuration.</summary>
    public CertManagerAcmeIssuer? Acme { get; set; }
}

/// <summary><c>spec.acme</c>: an RFC 8555 server, the account key and the challenge solvers.</summary>
internal sealed class CertManagerAcmeIssuer
{
    /// <summary>The ACME directory URL.</summary>
    public string Server { get; set; } = "";

    /// <summary>The account e-mail (Let's Encrypt sends expiry notices here).</summary>
    public string? Email { get; set; }

    /// <summary>Base64 of the PEM bundle that signs the ACME server's TLS certificate.</summary>
    public string? CaBundle { get; set; }

    /// <summary>Where cert-manager keeps the ACME account key.</summary>
    public SecretKeySelector PrivateKeySecretRef { get; set; } = new();

    /// <summary>Let a Certificate's <c>duration</c> reach the ACME server as the order's notAfter.</summary>
    public bool? EnableDurationFeature { get; set; }

    /// <summary>The challenge solvers.</summary>
    public IList<CertManagerAcmeSolver> Solvers { get; set; } = [];
}

/// <summary>A reference to a key of a Secret.</summary>
internal sealed class SecretKeySelector
{
    /// <summary>The Secret's name.</summary>
    public string Name { get; set; } = "";

    /// <summary>The key within the Secret, when not the default.</summary>
    public string? Key { get; set; }
}

/// <summary>One entry of <c>spec.acme.solvers</c>.</summary>
internal sealed class CertManagerAcmeSolver
{
    /// <summary>Which names this solver is for; all when absent.</summary>
    public CertificateDnsNameSelector? Selector { get; set; }

    /// <summary>The HTTP-01 solver.</summary>
    public CertManagerHttp01Solver? Http01 { get; set; }
}

/// <summary><c>solvers[].selector</c>.</summary>
internal sealed class CertificateDnsNameSelector
{
    /// <summary>Exact names.</summary>
    public IList<string>? DnsNames { get; set; }

    /// <summary>Zones (suffixes).</summary>
    public IList<string>? DnsZones { get; set; }
}

/// <summary><c>solvers[].http01</c>.</summary>
internal sealed class CertManagerHttp01Solver
{
    /// <summary>Solve through a temporary Ingress.</summary>
    public CertManagerHttp01IngressSolver? Ingress { get; set; }
}

/// <summary><c>solvers[].http01.ingress</c>.</summary>
internal sealed class CertManagerHttp01IngressSolver
{
    /// <summary>The IngressClass the solver's Ingress uses (k3s ships <c>traefik</c>).</summary>
    public string? IngressClassName { get; set; }

    /// <summary>Edit this existing Ingress instead of creating one.</summary>
    public string? Name { get; set; }

    /// <summary>The solver Service type (ClusterIP or NodePort).</summary>
    public string? ServiceType { get; set; }
}

/// <summary><c>status</c> of an Issuer.</summary>
internal sealed class IssuerStatus
{
    /// <summary>Conditions, among them Ready.</summary>
    public IList<CertManagerCondition>? Conditions { get; set; }

    /// <summary>ACME account state.</summary>
    public AcmeIssuerStatus? Acme { get; set; }
}

/// <summary><c>status.acme</c>.</summary>
internal sealed class AcmeIssuerStatus
{
    /// <summary>The registered account URI.</summary>
    public string? Uri { get; set; }

    /// <summary>The e-mail last registered.</summary>
    public string? LastRegisteredEmail { get; set; }
}

/// <summary>A cert-manager status condition.</summary>
internal sealed class CertManagerCondition
{
    /// <summary>The condition type, e.g. Ready.</summary>
    public string Type { get; set; } = "";

    /// <summary>True, False or Unknown.</summary>
    public string Status { get; set; } = "Unknown";

    /// <summary>A machine-readable reason.</summary>
    public string? Reason { get; set; }

    /// <summary>A human-readable message.</summary>
    public string? Message { get; set; }

    /// <summary>When the status last changed.</summary>
    public DateTime? LastTransitionTime { get; set; }

    /// <summary>The generation this condition was set for.</summary>
    public long? ObservedGeneration { get; set; }
}

/// <summary>A cert-manager <c>Certificate</c>.</summary>
internal sealed class Certificate : IKubernetesObject<V1ObjectMeta>
{
    /// <summary>The kind.</summary>
    public const string KubeKind = "Certificate";

    /// <inheritdoc />
    public string ApiVersion { get; set; } = ClusterIssuer.KubeApiVersion;

    /// <inheritdoc />
    public string Kind { get; set; } = KubeKind;

    /// <inheritdoc />
    public V1ObjectMeta Metadata { get; set; } = new();

    /// <summary>What to issue.</summary>
    public CertificateSpec Spec { get; set; } = new();

    /// <summary>What cert-manager reports.</summary>
    public CertificateStatus? Status { get; set; }
}

/// <summary><c>spec</c> of a Certificate.</summary>
internal sealed class CertificateSpec
{
    /// <summary>The Secret that receives <c>tls.crt</c>, <c>tls.key</c> and <c>ca.crt</c>.</summary>
    public string SecretName { get; set; } = "";

    /// <summary>The subject common name, when one is wanted.</summary>
    public string? CommonName { get; set; }

    /// <summary>DNS subject alternative names.</summary>
    public IList<string>? DnsNames { get; set; }

    /// <summary>IP subject alternative names.</summary>
    public IList<string>? IpAddresses { get; set; }

    /// <summary>Requested lifetime, a Go duration such as <c>2160h</c>.</summary>
    public string? Duration { get; set; }

    /// <summary>How long before expiry to renew, a Go duration.</summary>
    public string? RenewBefore { get; set; }

    /// <summary>The issuer.</summary>
    public IssuerReference IssuerRef { get; set; } = new();

    /// <summary>The private key's algorithm and rotation.</summary>
    public CertificatePrivateKey? PrivateKey { get; set; }
}

/// <summary><c>spec.issuerRef</c>.</summary>
internal sealed class IssuerReference
{
    /// <summary>The issuer's name.</summary>
    public string Name { get; set; } = "";

    /// <summary>Issuer or ClusterIssuer.</summary>
    public string? Kind { get; set; }

    /// <summary>The API group, <c>cert-manager.io</c>.</summary>
    public string? Group { get; set; }
}

/// <summary><c>spec.privateKey</c>.</summary>
internal sealed class CertificatePrivateKey
{
    /// <summary>RSA, ECDSA or Ed25519.</summary>
    public string? Algorithm { get; set; }

    /// <summary>Key size in bits (RSA) or curve size (ECDSA).</summary>
    public int? Size { get; set; }

    /// <summary>Never or Always.</summary>
    public string? RotationPolicy { get; set; }
}

/// <summary><c>status</c> of a Certificate.</summary>
internal sealed class CertificateStatus
{
    /// <summary>Conditions: Ready and Issuing.</summary>
    public IList<CertManagerCondition>? Conditions { get; set; }

    /// <summary>When the current certificate expires.</summary>
    public DateTime? NotAfter { get; set; }

    /// <summary>When the current certificate became valid.</summary>
    public DateTime? NotBefore { get; set; }

    /// <summary>When cert-manager will renew.</summary>
    public DateTime? RenewalTime { get; set; }

    /// <summary>How many times it was issued.</summary>
    public int? Revision { get; set; }

    /// <summary>Consecutive failed attempts.</summary>
    public int? FailedIssuanceAttempts { get; set; }

    /// <summary>When the last attempt failed.</summary>
    public DateTime? LastFailureTime { get; set; }
}
