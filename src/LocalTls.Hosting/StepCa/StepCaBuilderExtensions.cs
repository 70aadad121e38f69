using LocalTls.CertManager;
using Aspire.Hosting.ApplicationModel;
using LocalTls;
using LocalTls.Cluster;
using LocalTls.Pki;
using LocalTls.StepCa;

namespace Aspire.Hosting;

/// <summary>Adds step-ca, a private ACME certificate authority, to the app model.</summary>
public static class StepCaBuilderExtensions
{
    /// <summary>
    /// Adds a step-ca CA. Its root and intermediate come from the CA store (created once, reused across runs and
    /// clusters). Place it in a cluster with <see cref="InCluster"/>; otherwise it runs on this machine.
    /// </summary>
    /// <param name="builder">The application builder.</param>
    /// <param name="name">The resource name.</param>
    /// <example>
    /// <code>
    /// var ca = builder.AddStepCa("step-ca").WithAcmeProvisioner("acme").InCluster(k3s);
    /// </code>
    /// </example>
    public static IResourceBuilder<StepCaResource> AddStepCa(this IDistributedApplicationBuilder builder, [ResourceName] string name)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var resource = new StepCaResource(name);
        LocalTlsWiring.Ensure(builder);
        LocalTlsWiring.AddHealthCheck(builder, resource);
        return LocalTlsResources.Add(builder, resource, "StepCa", "ShieldKeyhole", []);
    }

    /// <summary>Adds an ACME provisioner; its directory is <c>/acme/{name}/directory</c>.</summary>
    /// <param name="builder">The CA.</param>
    /// <param name="name">The provisioner name (part of the URL): letters, digits, <c>-</c>, <c>_</c>, <c>.</c>.</param>
    /// <param name="configure">Changes challenges, forceCN or the provisioner's own certificate lifetimes.</param>
    /// <example>
    /// <code>
    /// builder.AddStepCa("step-ca").WithAcmeProvisioner("acme", p => p.ForceCN = true);
    /// </code>
    /// </example>
    public static IResourceBuilder<StepCaResource> WithAcmeProvisioner(this IResourceBuilder<StepCaResource> builder, string name = AcmeProvisionerOptions.DefaultName, Action<AcmeProvisionerOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        StepCaRules.RequireProvisionerName(name, nameof(name));
        if (builder.Resource.Provisioners.Any(p => p.Name == name))
        {
            throw new ArgumentException($"The CA '{builder.Resource.Name}' already has a provisioner named '{name}': give the second one another name, e.g. \"{name}-2\".", nameof(name));
        }

        var provisioner = new AcmeProvisionerOptions { Name = name };
        configure?.Invoke(provisioner);
        builder.Resource.ProvisionerList.Add(provisioner);
        try
        {
            CertManagerRules.RequireDurationsWithinClaims(builder.ApplicationBuilder.Resources, builder.Resource, nameof(configure));
        }
        catch (ArgumentException)
        {
            builder.Resource.ProvisionerList.Remove(provisioner);
            throw;
        }

        return builder;
    }

    /// <summary>Keeps step-ca's database (ACME accounts, orders) on a PersistentVolumeClaim.</summary>
    /// <param name="builder">The CA.</param>
    /// <param name="size">A Kubernetes quantity, e.g. <c>1Gi</c>.</param>
    /// <param name="storageClassName">The StorageClass; <see langword="null"/> for the cluster default (k3s: local-path).</param>
    /// <example>
    /// <code>
    /// builder.AddStepCa("step-ca").WithPersistence("1Gi", "local-path");
    /// </code>
    /// </example>
    public static IResourceBuilder<StepCaResource> WithPersistence(this IResourceBuilder<StepCaResource> builder, string size = "1Gi", string? storageClassName = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Resource.PersistenceSize = KubernetesNames.RequireQuantity(size, nameof(size));
        builder.Resource.StorageClassName = storageClassName is null ? null : KubernetesNames.RequireSubdomain(storageClassName, "StorageClass name", nameof(storageClassName));
        return builder;
    }

    /// <summary>Runs step-ca in a cluster, in its own namespace, behind a Service.</summary>
    /// <example>
    /// <code>
    /// var k3s = builder.AddKubeconfigCluster("k3s");
    /// builder.AddStepCa("step-ca").InCluster(k3s);
    /// </code>
    /// </example>
    public static IResourceBuilder<StepCaResource> InCluster(this IResourceBuilder<StepCaResource> builder, IResourceBuilder<KubeconfigClusterResource> cluster)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(cluster, nameof(cluster));
        // Placement is data: each target is wired when the app starts (LocalTlsWiring).
        builder.Resource.Cluster = cluster.Resource;
        return builder.WithParentRelationship(cluster.Resource);
    }

    /// <summary>Sets the namespace step-ca runs in (default <c>step-ca</c>).</summary>
    /// <example>
    /// <code>
    /// builder.AddStepCa("step-ca").WithNamespace("pki");
    /// </code>
    /// </example>
    public static IResourceBuilder<StepCaResource> WithNamespace(this IResourceBuilder<StepCaResource> builder, string @namespace)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Resource.Namespace = KubernetesNames.RequireLabel(@namespace, "namespace", nameof(@namespace));
        return builder;
    }

    /// <summary>Sets the Service name and port (default <c>step-ca</c>, 9000).</summary>
    /// <example>
    /// <code>
    /// builder.AddStepCa("step-ca").WithService("ca", 443);
    /// </code>
    /// </example>
    public static IResourceBuilder<StepCaResource> WithService(this IResourceBuilder<StepCaResource> builder, string name, int port = StepCaResource.DefaultPort)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Resource.ServiceName = KubernetesNames.RequireLabel(name, "Service name", nameof(name));
        builder.Resource.Port = StepCaRules.RequirePort(port, nameof(port));
        return builder;
    }

    /// <summary>Sets the container image and tag (default <c>smallstep/step-ca:0.30.0</c>).</summary>
    /// <example>
    /// <code>
    /// builder.AddStepCa("step-ca").WithImage("registry.local/step-ca", "0.30.0");
    /// </code>
    /// </example>
    public static IResourceBuilder<StepCaResource> WithImage(this IResourceBuilder<StepCaResource> builder, string image, string tag = StepCaResource.DefaultImageTag)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Resource.Image = StepCaRules.RequireImage(image, nameof(image));
        builder.Resource.ImageTag = StepCaRules.RequireImageTag(tag, nameof(tag));
        return builder;
    }

    /// <summary>
    /// Sets the certificate lifetimes step-ca allows and gives by default (step-ca's own: 5 minutes to 24 hours,
    /// 24 hours by default). A Certificate's <c>duration</c> must fall inside them.
    /// </summary>
    /// <example>
    /// <code>
    /// builder.AddStepCa("step-ca").WithCertificateLifetimes(@default: TimeSpan.FromDays(7), max: TimeSpan.FromDays(90));
    /// </code>
    /// </example>
    public static IResourceBuilder<StepCaResource> WithCertificateLifetimes(this IResourceBuilder<StepCaResource> builder, TimeSpan? min = null, TimeSpan? @default = null, TimeSpan? max = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var claims = new StepCaClaimsOptions
        {
            MinTlsCertDuration = min ?? StepCaClaimsOptions.StepCaDefaultMin,
            DefaultTlsCertDuration = @default ?? StepCaClaimsOptions.StepCaDefaultDefault,
            MaxTlsCertDuration = max ?? (@default is { } d && d > StepCaClaimsOptions.StepCaDefaultMax ? d : StepCaClaimsOptions.StepCaDefaultMax),
        };
        if (claims.MinTlsCertDuration <= TimeSpan.Zero || claims.MinTlsCertDuration > claims.DefaultTlsCertDuration || claims.DefaultTlsCertDuration > claims.MaxTlsCertDuration)
        {
            throw new ArgumentException($"Certificate lifetimes must satisfy 0 < min <= default <= max; got min {claims.MinTlsCertDuration}, default {claims.DefaultTlsCertDuration}, max {claims.MaxTlsCertDuration}. E.g. min: 5 minutes, default: 24 hours, max: 90 days.");
        }

        var previous = builder.Resource.Claims;
        builder.Resource.Claims = claims;
        try
        {
            CertManagerRules.RequireDurationsWithinClaims(builder.ApplicationBuilder.Resources, builder.Resource, null);
        }
        catch (ArgumentException)
        {
            builder.Resource.Claims = previous;
            throw;
        }

        return builder;
    }

    /// <summary>Adds names for step-ca's own TLS certificate (besides its Service names), e.g. <c>localhost</c>.</summary>
    /// <example>
    /// <code>
    /// builder.AddStepCa("step-ca").WithDnsNames("ca.127.0.0.1.sslip.io");
    /// </code>
    /// </example>
    public static IResourceBuilder<StepCaResource> WithDnsNames(this IResourceBuilder<StepCaResource> builder, params string[] names)
    {
        ArgumentNullException.ThrowIfNull(builder);
        foreach (var name in names)
        {
            if (string.IsNullOrWhiteSpace(name) || name.Any(char.IsWhiteSpace) || (!System.Net.IPAddress.TryParse(name, out _) && Uri.CheckHostName(name) != UriHostNameType.Dns))
            {
                throw new ArgumentException($"'{name}' is not a host name or IP address: write e.g. \"localhost\", \"127.0.0.1\" or \"ca.127.0.0.1.sslip.io\".", nameof(names));
            }

            if (!builder.Resource.CaOptions.NameConstraints || new NameConstraintSet(builder.Resource.CaOptions.PermittedDnsDomains, builder.Resource.CaOptions.PermittedIpRanges).Permits(name))
            {
                builder.Resource.ExtraDnsNameList.Add(name);
                continue;
            }

            throw new ArgumentException($"'{name}' is outside the CA's name constraints, so clients would reject step-ca's certificate. Use a name under {string.Join(", ", builder.Resource.CaOptions.PermittedDnsDomains)}, or add its domain with WithCaOptions(o => o.PermittedDnsDomains.Add(\"...\")) before this call.", nameof(names));
        }

        return builder;
    }

    /// <summary>Keeps the CA in this directory instead of <c>$LOCALTLS_CAROOT</c> or the per-user default.</summary>
    /// <example>
    /// <code>
    /// builder.AddStepCa("step-ca").WithCaStore("./.localtls");
    /// </code>
    /// </example>
    public static IResourceBuilder<StepCaResource> WithCaStore(this IResourceBuilder<StepCaResource> builder, string directory)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        builder.Resource.CaStoreDirectory = Path.GetFullPath(directory);
        return builder;
    }

    /// <summary>Changes how the CA is generated when the store is empty (key type, names, name constraints).</summary>
    /// <example>
    /// <code>
    /// builder.AddStepCa("step-ca").WithCaOptions(o => o.PermittedDnsDomains.Add("corp.example"));
    /// </code>
    /// </example>
    public static IResourceBuilder<StepCaResource> WithCaOptions(this IResourceBuilder<StepCaResource> builder, Action<CaOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        configure(builder.Resource.CaOptions);
        builder.Resource.CaOptions.Validate();
        return builder;
    }

    /// <summary>
    /// Imports an existing CA into the store (the same trust across machines and clusters). Give the intermediate
    /// and its key, or the root key alone to sign a new intermediate. The files are checked when the app starts.
    /// </summary>
    /// <example>
    /// <code>
    /// builder.AddStepCa("step-ca").WithImportedCa("certs/root_ca.crt", "certs/intermediate_ca.crt", "secrets/intermediate_ca_key");
    /// </code>
    /// </example>
    public static IResourceBuilder<StepCaResource> WithImportedCa(this IResourceBuilder<StepCaResource> builder, string rootCertificate, string? intermediateCertificate = null, string? intermediateKey = null, string? rootKey = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        static string? Existing(string? path, string parameter)
        {
            if (path is null)
            {
                return null;
            }

            var full = Path.GetFullPath(path);
            return File.Exists(full) ? full : throw new ArgumentException($"{parameter}: '{full}' does not exist. Give the path of a PEM file.", parameter);
        }

        if ((intermediateCertificate is null) != (intermediateKey is null))
        {
            throw new ArgumentException("Give both the intermediate certificate and its key, or neither (then the root key signs a new intermediate).", intermediateKey is null ? nameof(intermediateKey) : nameof(intermediateCertificate));
        }

        if (intermediateCertificate is null && rootKey is null)
        {
            throw new ArgumentException("Without an intermediate, the root key is needed to sign one: pass rootKey, or the intermediate certificate and key.", nameof(rootKey));
        }

        builder.Resource.Import = new CaImportFiles(
            Existing(rootCertificate, nameof(rootCertificate))!, Existing(intermediateCertificate, nameof(intermediateCertificate)),
            Existing(intermediateKey, nameof(intermediateKey)), Existing(rootKey, nameof(rootKey)));
        return builder;
    }

    /// <summary>Encrypts the intermediate key in the cluster Secret with a password (step-ca then starts with <c>--password-file</c>).</summary>
    /// <example>
    /// <code>
    /// var password = builder.AddParameter("ca-key-password", secret: true);
    /// builder.AddStepCa("step-ca").WithKeyPassword(password);
    /// </code>
    /// </example>
    public static IResourceBuilder<StepCaResource> WithKeyPassword(this IResourceBuilder<StepCaResource> builder, IResourceBuilder<ParameterResource> password)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(password);
        if (!password.Resource.Secret)
        {
            throw new ArgumentException($"The parameter '{password.Resource.Name}' must be secret: declare it with builder.AddParameter(\"{password.Resource.Name}\", secret: true).", nameof(password));
        }

        builder.Resource.KeyPassword = password.Resource;
        return builder;
    }
}
