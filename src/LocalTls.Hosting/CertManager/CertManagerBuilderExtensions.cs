using Aspire.Hosting.ApplicationModel;
using LocalTls;
using LocalTls.CertManager;
using LocalTls.Cluster;
using LocalTls.StepCa;

namespace Aspire.Hosting;

/// <summary>Adds cert-manager issuers and certificates to the app model.</summary>
public static class CertManagerBuilderExtensions
{
    /// <summary>
    /// Adds a cert-manager ACME issuer backed by a step-ca: <c>spec.acme.server</c> is the CA's in-cluster ACME
    /// directory and <c>caBundle</c> its root. A ClusterIssuer unless <see cref="AsNamespacedIssuer"/> is called.
    /// </summary>
    /// <param name="builder">The application builder.</param>
    /// <param name="name">The resource name and the issuer's Kubernetes name.</param>
    /// <param name="ca">The step-ca to issue from.</param>
    /// <example>
    /// <code>
    /// var issuer = builder.AddCertManagerIssuer("step-ca-acme", ca).WithHttp01Solver();
    /// </code>
    /// </example>
    public static IResourceBuilder<AcmeIssuerResource> AddCertManagerIssuer(this IDistributedApplicationBuilder builder, [ResourceName] string name, IResourceBuilder<StepCaResource> ca)
    {
        ArgumentNullException.ThrowIfNull(builder);
        if (ca is null)
        {
            throw new ArgumentNullException(nameof(ca), $"The issuer '{name}' needs a CA: pass the result of builder.AddStepCa(\"step-ca\"), or use builder.AddLetsEncryptIssuer(\"{name}\", email) for a public ACME server.");
        }

        KubernetesNames.RequireSubdomain(name, "issuer name", nameof(name));
        var resource = new AcmeIssuerResource(name) { Ca = ca.Resource, EnableDurationFeature = true };
        return AddIssuer(builder, resource).WithParentRelationship(ca.Resource);
    }

    /// <summary>Adds a cert-manager ClusterIssuer for Let's Encrypt: what production uses, with the same solver.</summary>
    /// <param name="builder">The application builder.</param>
    /// <param name="name">The resource name and the issuer's Kubernetes name.</param>
    /// <param name="email">The ACME account e-mail, for expiry notices.</param>
    /// <param name="staging">Use Let's Encrypt's staging directory (untrusted certificates, generous rate limits).</param>
    /// <example>
    /// <code>
    /// var prod = builder.AddLetsEncryptIssuer("letsencrypt-prod", email: "admin@example.com");
    /// </code>
    /// </example>
    public static IResourceBuilder<AcmeIssuerResource> AddLetsEncryptIssuer(this IDistributedApplicationBuilder builder, [ResourceName] string name, string email, bool staging = false)
    {
        ArgumentNullException.ThrowIfNull(builder);
        KubernetesNames.RequireSubdomain(name, "issuer name", nameof(name));
        var resource = new AcmeIssuerResource(name)
        {
            Server = new Uri(staging ? AcmeIssuerResource.LetsEncryptStaging : AcmeIssuerResource.LetsEncryptProduction),
            Email = CertManagerRules.RequireEmail(email, nameof(email)),
        };
        return AddIssuer(builder, resource);
    }

    /// <summary>Adds a cert-manager ClusterIssuer for any public RFC 8555 server (ZeroSSL, Google, a corporate CA).</summary>
    /// <example>
    /// <code>
    /// builder.AddAcmeIssuer("corp-acme", new Uri("https://acme.corp.example/directory"), "ops@corp.example");
    /// </code>
    /// </example>
    public static IResourceBuilder<AcmeIssuerResource> AddAcmeIssuer(this IDistributedApplicationBuilder builder, [ResourceName] string name, Uri server, string? email = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(server);
        KubernetesNames.RequireSubdomain(name, "issuer name", nameof(name));
        if (!server.IsAbsoluteUri || server.Scheme != Uri.UriSchemeHttps)
        {
            throw new ArgumentException($"'{server}' is not an https ACME directory URL: write e.g. https://acme-v02.api.letsencrypt.org/directory.", nameof(server));
        }

        return AddIssuer(builder, new AcmeIssuerResource(name) { Server = server, Email = email is null ? null : CertManagerRules.RequireEmail(email, nameof(email)) });
    }

    /// <summary>
    /// Sets the IngressClass of the HTTP-01 solver, the one solver an issuer renders (the seed's): cert-manager
    /// answers challenges through a temporary Ingress of this class. Default: the cluster's (<c>traefik</c> on k3s).
    /// </summary>
    /// <example>
    /// <code>
    /// builder.AddCertManagerIssuer("step-ca-acme", ca).WithHttp01Solver("nginx");
    /// </code>
    /// </example>
    public static IResourceBuilder<AcmeIssuerResource> WithHttp01Solver(this IResourceBuilder<AcmeIssuerResource> builder, string? ingressClassName = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Resource.IngressClassName = ingressClassName is null ? null : KubernetesNames.RequireSubdomain(ingressClassName, "IngressClass name", nameof(ingressClassName));
        return builder;
    }

    /// <summary>Makes this a namespaced <c>Issuer</c> in <paramref name="namespace"/> instead of a ClusterIssuer.</summary>
    /// <example>
    /// <code>
    /// builder.AddCertManagerIssuer("team-acme", ca).AsNamespacedIssuer("team-a");
    /// </code>
    /// </example>
    public static IResourceBuilder<AcmeIssuerResource> AsNamespacedIssuer(this IResourceBuilder<AcmeIssuerResource> builder, string @namespace)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Resource.Namespace = KubernetesNames.RequireLabel(@namespace, "namespace", nameof(@namespace));
        builder.Resource.Kind = CertManagerIssuerKind.Issuer;
        return builder;
    }

    /// <summary>Names the Secret for the ACME account key (default <c>{name}-account-key</c>).</summary>
    /// <example>
    /// <code>
    /// builder.AddCertManagerIssuer("step-ca-acme", ca).WithAccountKeySecret("step-ca-acme-account-key");
    /// </code>
    /// </example>
    public static IResourceBuilder<AcmeIssuerResource> WithAccountKeySecret(this IResourceBuilder<AcmeIssuerResource> builder, string secretName)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Resource.PrivateKeySecretName = KubernetesNames.RequireSubdomain(secretName, "Secret name", nameof(secretName));
        return builder;
    }

    /// <summary>Uses this ACME provisioner of the CA (default: the CA's first, <c>acme</c>).</summary>
    /// <example>
    /// <code>
    /// builder.AddCertManagerIssuer("step-ca-acme", ca.WithAcmeProvisioner("acme-long")).WithProvisioner("acme-long");
    /// </code>
    /// </example>
    public static IResourceBuilder<AcmeIssuerResource> WithProvisioner(this IResourceBuilder<AcmeIssuerResource> builder, string provisionerName)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var ca = builder.Resource.Ca ?? throw new InvalidOperationException($"The issuer '{builder.Resource.Name}' has no step-ca, so it has no provisioners; WithProvisioner applies to AddCertManagerIssuer(name, ca).");
        if (ca.Provisioners.Count > 0 && ca.Provisioners.All(p => p.Name != provisionerName))
        {
            throw new ArgumentException($"The CA '{ca.Name}' has no provisioner '{provisionerName}'; it has {string.Join(", ", ca.Provisioners.Select(p => p.Name))}. Add it with WithAcmeProvisioner(\"{provisionerName}\").", nameof(provisionerName));
        }

        builder.Resource.ProvisionerName = provisionerName;
        return builder;
    }

    /// <summary>Adds a Certificate for sslip.io host names; name its issuer with <see cref="WithIssuer(IResourceBuilder{CertificateResource}, IResourceBuilder{AcmeIssuerResource})"/>.</summary>
    /// <param name="builder">The application builder.</param>
    /// <param name="name">The resource name and the Certificate's Kubernetes name.</param>
    /// <param name="hostnames">The host names; more DNS names with <see cref="WithDnsNames"/>.</param>
    /// <example>
    /// <code>
    /// builder.AddCertificate("app-tls", k3s.AddSslipHostname("app")).WithIssuer(issuer);
    /// </code>
    /// </example>
    public static IResourceBuilder<CertificateResource> AddCertificate(this IDistributedApplicationBuilder builder, [ResourceName] string name, params IResourceBuilder<SslipHostnameResource>[] hostnames)
    {
        ArgumentNullException.ThrowIfNull(builder);
        KubernetesNames.RequireSubdomain(name, "Certificate name", nameof(name));
        var resource = new CertificateResource(name);
        foreach (var host in hostnames)
        {
            resource.HostnameList.Add(host.Resource);
        }

        RequireUniqueSecret(builder, resource, resource.Namespace, resource.SecretName);
        LocalTlsWiring.Ensure(builder);
        var result = LocalTlsResources.Add(builder, resource, "Certificate", "Certificate", []);
        return hostnames.Length > 0 ? result.WithParentRelationship(hostnames[0].Resource) : result;
    }

    /// <summary>Adds DNS names that are not sslip.io host names.</summary>
    /// <example>
    /// <code>
    /// builder.AddCertificate("api-tls").WithDnsNames("api.test").WithIssuer(issuer);
    /// </code>
    /// </example>
    public static IResourceBuilder<CertificateResource> WithDnsNames(this IResourceBuilder<CertificateResource> builder, params string[] dnsNames)
    {
        ArgumentNullException.ThrowIfNull(builder);
        foreach (var dnsName in dnsNames)
        {
            var name = CertManagerRules.RequireDnsName(dnsName, nameof(dnsNames));
            if (name.StartsWith("*.", StringComparison.Ordinal) && builder.Resource.Challenge == LocalTls.Acme.AcmeChallengeTypes.Http01)
            {
                throw new ArgumentException(CertManagerRules.WildcardNeedsDns01, nameof(dnsNames));
            }

            if (name.StartsWith("*.", StringComparison.Ordinal) && CertManagerRules.IsClusterIssuer(builder.Resource.Issuer))
            {
                throw new ArgumentException(CertManagerRules.WildcardInCluster(builder.Resource.Name, name), nameof(dnsNames));
            }

            builder.Resource.DnsNameList.Add(name);
        }

        return builder;
    }

    /// <summary>Issues through this issuer.</summary>
    /// <example>
    /// <code>
    /// builder.AddCertificate("app-tls", host).WithIssuer(builder.Environment.IsProduction() ? prod : issuer);
    /// </code>
    /// </example>
    public static IResourceBuilder<CertificateResource> WithIssuer(this IResourceBuilder<CertificateResource> builder, IResourceBuilder<AcmeIssuerResource> issuer)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(issuer, nameof(issuer));
        RequireNoClusterWildcard(builder.Resource, issuer.Resource, nameof(issuer));
        var previous = builder.Resource.Issuer;
        builder.Resource.Issuer = issuer.Resource;
        if (CertManagerRules.DurationOutsideClaims(builder.Resource) is { } problem)
        {
            builder.Resource.Issuer = previous;
            throw new ArgumentException(problem, nameof(issuer));
        }

        return builder;
    }

    /// <summary>Issues through <paramref name="local"/>, or through <paramref name="production"/> when the environment is Production.</summary>
    /// <example>
    /// <code>
    /// builder.AddCertificate("app-tls", host).WithIssuer(local: issuer, production: prod);
    /// </code>
    /// </example>
    public static IResourceBuilder<CertificateResource> WithIssuer(this IResourceBuilder<CertificateResource> builder, IResourceBuilder<AcmeIssuerResource> local, IResourceBuilder<AcmeIssuerResource> production)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(local);
        ArgumentNullException.ThrowIfNull(production);
        builder.Resource.Issuer = local.Resource;
        builder.Resource.ProductionIssuer = production.Resource;
        return builder;
    }

    /// <summary>Names the Secret that receives the key pair (default <c>{name}-secret</c>).</summary>
    /// <example>
    /// <code>
    /// builder.AddCertificate("app-tls", host).WithSecretName("app-tls");
    /// </code>
    /// </example>
    public static IResourceBuilder<CertificateResource> WithSecretName(this IResourceBuilder<CertificateResource> builder, string secretName)
    {
        ArgumentNullException.ThrowIfNull(builder);
        KubernetesNames.RequireSubdomain(secretName, "Secret name", nameof(secretName));
        RequireUniqueSecret(builder.ApplicationBuilder, builder.Resource, builder.Resource.Namespace, secretName);
        builder.Resource.SecretName = secretName;
        return builder;
    }

    /// <summary>Puts the Certificate and its Secret in this namespace (default <c>default</c>).</summary>
    /// <example>
    /// <code>
    /// builder.AddCertificate("app-tls", host).WithNamespace("shop");
    /// </code>
    /// </example>
    public static IResourceBuilder<CertificateResource> WithNamespace(this IResourceBuilder<CertificateResource> builder, string @namespace)
    {
        ArgumentNullException.ThrowIfNull(builder);
        KubernetesNames.RequireLabel(@namespace, "namespace", nameof(@namespace));
        RequireUniqueSecret(builder.ApplicationBuilder, builder.Resource, @namespace, builder.Resource.SecretName);
        builder.Resource.Namespace = @namespace;
        return builder;
    }

    /// <summary>
    /// Also renders an Ingress that routes the certificate's names to this Service, with TLS from the certificate's
    /// Secret (the seed's Ingress, minus the issuer annotation: the Certificate already exists).
    /// </summary>
    /// <example>
    /// <code>
    /// builder.AddCertificate("app-tls", k3s.AddSslipHostname("app")).WithIssuer(issuer).WithIngress("app", 80);
    /// </code>
    /// </example>
    public static IResourceBuilder<CertificateResource> WithIngress(this IResourceBuilder<CertificateResource> builder, string serviceName, int port)
    {
        ArgumentNullException.ThrowIfNull(builder);
        KubernetesNames.RequireLabel(serviceName, "Service name", nameof(serviceName));
        builder.Resource.IngressBackend = (serviceName, StepCaRules.RequirePort(port, nameof(port)));
        return builder;
    }

    /// <summary>Asks for this lifetime (and renewal this long before expiry). The issuer's CA must allow it.</summary>
    /// <example>
    /// <code>
    /// builder.AddCertificate("app-tls", host).WithDuration(TimeSpan.FromDays(30), renewBefore: TimeSpan.FromDays(10));
    /// </code>
    /// </example>
    public static IResourceBuilder<CertificateResource> WithDuration(this IResourceBuilder<CertificateResource> builder, TimeSpan duration, TimeSpan? renewBefore = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        // cert-manager's own rule: at least one hour, and renewal strictly before the end of the lifetime.
        var previous = (builder.Resource.Duration, builder.Resource.RenewBefore);
        builder.Resource.Duration = CertManagerRules.RequireDuration(duration, nameof(duration));
        builder.Resource.RenewBefore = CertManagerRules.RequireRenewBefore(renewBefore, duration, nameof(renewBefore));
        if (CertManagerRules.DurationOutsideClaims(builder.Resource) is { } problem)
        {
            (builder.Resource.Duration, builder.Resource.RenewBefore) = previous;
            throw new ArgumentException(problem, nameof(duration));
        }

        return builder;
    }

    private static IResourceBuilder<AcmeIssuerResource> AddIssuer(IDistributedApplicationBuilder builder, AcmeIssuerResource resource)
    {
        LocalTlsWiring.Ensure(builder);
        return LocalTlsResources.Add(builder, resource, "CertManagerIssuer", "KeyMultiple",
        [
            new(LocalTlsProperties.IssuerKind, resource.Kind.ToString()),
            new(LocalTlsProperties.Server, resource.Ca is null ? resource.Server!.ToString() : $"step-ca '{resource.Ca.Name}'"),
        ]);
    }

    private static void RequireNoClusterWildcard(CertificateResource certificate, AcmeIssuerResource issuer, string parameter)
    {
        if (CertManagerRules.IsClusterIssuer(issuer) && certificate.DnsNames.FirstOrDefault(n => n.StartsWith("*.", StringComparison.Ordinal)) is { } wildcard)
        {
            throw new ArgumentException(CertManagerRules.WildcardInCluster(certificate.Name, wildcard), parameter);
        }
    }

    private static void RequireUniqueSecret(IDistributedApplicationBuilder builder, CertificateResource self, string @namespace, string secretName)
    {
        var clash = builder.Resources.OfType<CertificateResource>().FirstOrDefault(c => !ReferenceEquals(c, self) && c.Namespace == @namespace && c.SecretName == secretName);
        if (clash is not null)
        {
            throw new ArgumentException($"The certificate '{clash.Name}' already writes the Secret '{@namespace}/{secretName}': two certificates would overwrite each other's keys. Give '{self.Name}' its own with WithSecretName(\"{self.Name}-secret\").");
        }
    }
}
