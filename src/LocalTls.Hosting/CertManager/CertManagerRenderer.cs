using Aspire.Hosting.ApplicationModel;
using k8s;
using k8s.Models;
using LocalTls.Pki;
using LocalTls.StepCa;

namespace LocalTls.CertManager;

/// <summary>Renders issuers and certificates into cert-manager v1 objects: pure functions of the model.</summary>
internal static class CertManagerRenderer
{
    /// <summary>
    /// A ClusterIssuer (or namespaced Issuer) whose <c>spec.acme</c> names the server, the account key Secret,
    /// the HTTP-01 solver and, for step-ca, the root as <c>caBundle</c>.
    /// </summary>
    /// <param name="issuer">The issuer.</param>
    /// <param name="material">The CA material of the issuer's step-ca; ignored for a public server.</param>
    /// <param name="defaultIngressClassName">The IngressClass when the issuer names none (the cluster's).</param>
    public static IKubernetesObject Render(AcmeIssuerResource issuer, CaMaterial? material, string defaultIngressClassName = KubeconfigClusterResource.DefaultIngressClassName)
    {
        ArgumentNullException.ThrowIfNull(issuer);
        if (issuer.Ca is not null && material is null)
        {
            throw new ArgumentException($"The issuer '{issuer.Name}' uses step-ca '{issuer.Ca.Name}', so its root is needed for caBundle.", nameof(material));
        }

        if (issuer.Ca is { Provisioners.Count: > 0 } ca && issuer.ProvisionerName is { } p && ca.Provisioners.All(x => x.Name != p))
        {
            throw new InvalidOperationException($"The issuer '{issuer.Name}' names provisioner '{p}', which the CA '{ca.Name}' does not have. Add it with WithAcmeProvisioner(\"{p}\").");
        }

        var spec = new IssuerSpec
        {
            Acme = new CertManagerAcmeIssuer
            {
                Server = issuer.AcmeServer.ToString(),
                Email = issuer.Email,
                CaBundle = issuer.Ca is null ? null : material!.CaBundleBase64,
                PrivateKeySecretRef = new SecretKeySelector { Name = issuer.PrivateKeySecretName },
                EnableDurationFeature = issuer.EnableDurationFeature ? true : null,
                // HTTP-01 through an Ingress is the seed's solver and the only one rendered; WithHttp01Solver picks its class.
                Solvers = [new CertManagerAcmeSolver { Http01 = new CertManagerHttp01Solver { Ingress = new CertManagerHttp01IngressSolver { IngressClassName = issuer.IngressClassName ?? defaultIngressClassName } } }],
            },
        };
        var metadata = new V1ObjectMeta
        {
            Name = issuer.Name,
            Labels = new Dictionary<string, string> { ["app.kubernetes.io/managed-by"] = StepCaKubernetesRenderer.ManagedBy },
        };
        if (issuer.Kind == CertManagerIssuerKind.Issuer)
        {
            metadata.NamespaceProperty = issuer.Namespace;
            return new Issuer { Metadata = metadata, Spec = spec };
        }

        return new ClusterIssuer { Metadata = metadata, Spec = spec };
    }

    /// <summary>A Certificate for the resource's host names through <paramref name="issuer"/>.</summary>
    /// <exception cref="InvalidOperationException">A host name's address is unknown, or the certificate has no names.</exception>
    public static Certificate Render(CertificateResource certificate, AcmeIssuerResource issuer)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        ArgumentNullException.ThrowIfNull(issuer);
        var names = new List<string>();
        foreach (var host in certificate.Hostnames)
        {
            names.Add(host.Hostname ?? throw new InvalidOperationException(
                $"The certificate '{certificate.Name}' needs the address of host name '{host.Name}', and the cluster '{host.Cluster?.Name}' has no ingress address yet. Set it with WithIngressAddress(\"192.168.5.2\") on the cluster, or WithAddress(...) on the host name."));
        }

        names.AddRange(certificate.DnsNames.Where(n => !names.Contains(n)));
        if (names.Count == 0)
        {
            throw new InvalidOperationException($"The certificate '{certificate.Name}' has no names: pass host names to AddCertificate(\"{certificate.Name}\", host) or add WithDnsNames(...).");
        }

        if (issuer.Kind == CertManagerIssuerKind.Issuer && issuer.Namespace != certificate.Namespace)
        {
            throw new InvalidOperationException($"The certificate '{certificate.Name}' is in namespace '{certificate.Namespace}' but its Issuer '{issuer.Name}' is in '{issuer.Namespace}': a namespaced Issuer serves only its own namespace. Use a ClusterIssuer, or WithNamespace(\"{issuer.Namespace}\").");
        }

        return new Certificate
        {
            Metadata = new V1ObjectMeta
            {
                Name = certificate.Name,
                NamespaceProperty = certificate.Namespace,
                Labels = new Dictionary<string, string> { ["app.kubernetes.io/managed-by"] = StepCaKubernetesRenderer.ManagedBy },
            },
            Spec = new CertificateSpec
            {
                SecretName = certificate.SecretName,
                DnsNames = names,
                Duration = certificate.Duration is { } d ? StepCaConfig.FormatDuration(d) : null,
                RenewBefore = certificate.RenewBefore is { } r ? StepCaConfig.FormatDuration(r) : null,
                IssuerRef = new IssuerReference { Name = issuer.Name, Kind = issuer.Kind.ToString(), Group = "cert-manager.io" },
            },
        };
    }

    /// <summary>
    /// An Ingress that routes the certificate's names to its backend Service with TLS from the certificate's Secret.
    /// It carries no <c>cert-manager.io/cluster-issuer</c> annotation: the Certificate is rendered already, and the
    /// annotation would make cert-manager's ingress-shim create a second Certificate for the same Secret.
    /// </summary>
    /// <param name="certificate">A certificate with an <see cref="CertificateResource.IngressBackend"/>.</param>
    /// <param name="rendered">The Certificate rendered for it, whose names the Ingress uses.</param>
    /// <param name="ingressClassName">The IngressClass.</param>
    public static V1Ingress RenderIngress(CertificateResource certificate, Certificate rendered, string ingressClassName)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        ArgumentNullException.ThrowIfNull(rendered);
        var (service, port) = certificate.IngressBackend ?? throw new InvalidOperationException($"The certificate '{certificate.Name}' has no Ingress backend: add .WithIngress(\"service\", port).");
        var hosts = rendered.Spec.DnsNames ?? [];
        return new V1Ingress
        {
            ApiVersion = "networking.k8s.io/v1",
            Kind = "Ingress",
            Metadata = new V1ObjectMeta
            {
                Name = certificate.Name,
                NamespaceProperty = certificate.Namespace,
                Labels = new Dictionary<string, string> { ["app.kubernetes.io/managed-by"] = StepCaKubernetesRenderer.ManagedBy },
            },
            Spec = new V1IngressSpec
            {
                IngressClassName = ingressClassName,
                Tls = [new V1IngressTLS { Hosts = [.. hosts], SecretName = certificate.SecretName }],
                Rules = [.. hosts.Where(h => !h.StartsWith("*.", StringComparison.Ordinal)).Select(h => new V1IngressRule
                {
                    Host = h,
                    Http = new V1HTTPIngressRuleValue
                    {
                        Paths = [new V1HTTPIngressPath { Path = "/", PathType = "Prefix", Backend = new V1IngressBackend { Service = new V1IngressServiceBackend { Name = service, Port = new V1ServiceBackendPort { Number = port } } } }],
                    },
                })],
            },
        };
    }
}
