using LocalTls.Pki;
using LocalTls.StepCa;

namespace Aspire.Hosting.ApplicationModel;

/// <summary>
/// A step-ca private certificate authority with ACME provisioners: in a cluster (the seed's <c>step-ca</c>
/// namespace and Service) or, without one, on this machine.
/// </summary>
/// <param name="name">The resource name.</param>
public sealed class StepCaResource(string name) : Resource(name)
{
    /// <summary>The default namespace, as in the seed.</summary>
    public const string DefaultNamespace = "step-ca";

    /// <summary>The default Service port, as in the seed.</summary>
    public const int DefaultPort = 9000;

    /// <summary>The smallstep image.</summary>
    public const string DefaultImage = "smallstep/step-ca";

    /// <summary>The image tag: the step-ca version of the step-certificates chart 1.30.</summary>
    public const string DefaultImageTag = "0.30.0";

    /// <summary>The namespace step-ca runs in.</summary>
    public string Namespace { get; internal set; } = DefaultNamespace;

    /// <summary>The Service name; the ACME URL is <c>https://{ServiceName}.{Namespace}.svc.cluster.local:{Port}</c>.</summary>
    public string ServiceName { get; internal set; } = "step-ca";

    /// <summary>The port step-ca and its Service listen on.</summary>
    public int Port { get; internal set; } = DefaultPort;

    /// <summary>The container image.</summary>
    public string Image { get; internal set; } = DefaultImage;

    /// <summary>The container image tag.</summary>
    public string ImageTag { get; internal set; } = DefaultImageTag;

    /// <summary>The size of the volume for step-ca's database.</summary>
    public string PersistenceSize { get; internal set; } = "1Gi";

    /// <summary>The StorageClass of that volume; <see langword="null"/> for the cluster's default (k3s: local-path).</summary>
    public string? StorageClassName { get; internal set; }

    /// <summary>The ACME provisioners. Empty until <c>WithAcmeProvisioner</c>; rendering adds the default <c>acme</c> then.</summary>
    public IReadOnlyList<AcmeProvisionerOptions> Provisioners => ProvisionerList;

    /// <summary>Added to only by <c>WithAcmeProvisioner</c>, which checks each one.</summary>
    internal List<AcmeProvisionerOptions> ProvisionerList { get; } = [];

    /// <summary>Certificate lifetimes for the whole authority (step-ca's defaults: 5 minutes to 24 hours, 24 hours by default).</summary>
    public StepCaClaimsOptions Claims { get; internal set; } = StepCaClaimsOptions.StepCaDefaults();

    /// <summary>More names for step-ca's own TLS certificate, besides its Service names.</summary>
    public IReadOnlyList<string> ExtraDnsNames => ExtraDnsNameList;

    /// <summary>Added to only by <c>WithDnsNames</c>, which checks each one.</summary>
    internal List<string> ExtraDnsNameList { get; } = [];

    /// <summary>The CA store directory; <see langword="null"/> for <c>$LOCALTLS_CAROOT</c> or the per-user default.</summary>
    public string? CaStoreDirectory { get; internal set; }

    /// <summary>How a CA is generated when the store is empty.</summary>
    public CaOptions CaOptions { get; internal set; } = new();

    /// <summary>PEM files to import into the store instead of generating a CA.</summary>
    internal CaImportFiles? Import { get; set; }

    /// <summary>A password that encrypts the intermediate key in the cluster Secret; <see langword="null"/> for none.</summary>
    public ParameterResource? KeyPassword { get; internal set; }

    /// <summary>The cluster step-ca runs in (set by <c>InCluster</c>); <see langword="null"/> runs it on this machine.</summary>
    public KubeconfigClusterResource? Cluster { get; internal set; }

    /// <summary>On this machine: the step-ca executable; <see langword="null"/> for <c>$LOCALTLS_STEP_CA</c> or PATH.</summary>
    public string? ExecutablePath { get; internal set; }

    /// <summary>On this machine: the roots that resources using <c>WithLocalTlsTrust</c> trust; filled when the app starts.</summary>
    internal CertificateAuthorityCollection? Trust { get; set; }

    /// <summary>On this machine: the loopback port; 0 picks a free one when the app starts.</summary>
    public int HostPort { get; internal set; }

    /// <summary>On this machine: where step-ca's files and database live, as given by <c>WithDataDirectory</c>; <see langword="null"/> for <c>{CA store}/step-ca/{name}</c>.</summary>
    public string? DataDirectory { get; internal set; }

    /// <summary>On this machine: where step-ca's files and database live; by default under the CA store, so ACME state survives restarts.</summary>
    internal string HostDataDirectory => DataDirectory ?? Path.Combine(new CaStore(CaStoreDirectory).Directory, "step-ca", Name);

    /// <summary>The in-cluster host name of the Service.</summary>
    public string ServiceHost => $"{ServiceName}.{Namespace}.svc.cluster.local";

    /// <summary>The in-cluster base URL, e.g. <c>https://step-ca.step-ca.svc.cluster.local:9000</c>.</summary>
    public Uri ClusterUrl => new($"https://{ServiceHost}:{Port}");

    /// <summary>The name of the provisioner issuers use when they name none: the first one, else <c>acme</c>.</summary>
    public string DefaultProvisionerName => Provisioners.Count > 0 ? Provisioners[0].Name : AcmeProvisionerOptions.DefaultName;
}

/// <summary>Existing CA files to import into the CA store (the seed's "reproducible environments").</summary>
/// <param name="RootCertificatePath">The root certificate PEM.</param>
/// <param name="IntermediateCertificatePath">The intermediate certificate PEM, or <see langword="null"/> to sign a new one with the root key.</param>
/// <param name="IntermediateKeyPath">The intermediate key PEM.</param>
/// <param name="RootKeyPath">The root key PEM, needed only to sign a new intermediate.</param>
internal sealed record CaImportFiles(string RootCertificatePath, string? IntermediateCertificatePath, string? IntermediateKeyPath, string? RootKeyPath);
