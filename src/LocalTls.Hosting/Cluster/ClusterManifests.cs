using Aspire.Hosting.ApplicationModel;
using k8s;
using LocalTls.CertManager;
using LocalTls.Pki;
using LocalTls.StepCa;

namespace LocalTls.Cluster;

/// <summary>The Kubernetes objects for a whole app model, in apply order, for one environment.</summary>
/// <param name="Objects">Namespaces, step-ca's objects, issuers, then certificates.</param>
/// <param name="HelmValues">For each in-cluster step-ca, the equivalent step-certificates chart values.</param>
/// <param name="ContainsSecrets">Whether an intermediate CA key is among the objects.</param>
/// <param name="Skipped">Issuers and certificates left out because they belong to a step-ca on this machine (the host target).</param>
internal sealed record ClusterManifestSet(IReadOnlyList<IKubernetesObject> Objects, IReadOnlyDictionary<string, System.Text.Json.Nodes.JsonObject> HelmValues, bool ContainsSecrets, IReadOnlyList<string> Skipped);

/// <summary>
/// Renders every LocalTls resource of a model. Production gets public issuers and no step-ca; any other
/// environment gets the in-cluster step-ca and its issuers too.
/// </summary>
internal static class ClusterManifests
{
    /// <summary>
    /// The label that names the AppHost an object belongs to. Kubernetes' own recommended label for "the higher-level
    /// application this is part of", so kubectl users and dashboards read it as such; together with
    /// <c>app.kubernetes.io/managed-by=localtls</c> it selects exactly one AppHost's objects for pruning and clean-up.
    /// </summary>
    public const string PartOfLabel = "app.kubernetes.io/part-of";

    public const string ManagedByLabel = "app.kubernetes.io/managed-by";

    /// <summary>Renders the resources.</summary>
    /// <param name="resources">The app model's resources (others are ignored).</param>
    /// <param name="production">Whether the environment is Production.</param>
    /// <param name="material">The CA material of a step-ca (from its CA store).</param>
    /// <param name="keyPassword">The intermediate key password of a step-ca, if it has one.</param>
    /// <exception cref="InvalidOperationException">The model cannot be rendered; the message says what to change.</exception>
    public static ClusterManifestSet Render(IEnumerable<IResource> resources, bool production, Func<StepCaResource, CaMaterial> material, Func<StepCaResource, string?>? keyPassword = null)
    {
        ArgumentNullException.ThrowIfNull(resources);
        ArgumentNullException.ThrowIfNull(material);
        var all = resources.ToList();
        static bool OnHost(AcmeIssuerResource issuer) => issuer.Ca is { Cluster: null };
        var skipped = new List<string>();
        var certificates = all.OfType<CertificateResource>().ToList();
        var issuers = new List<AcmeIssuerResource>();
        var chosen = new Dictionary<CertificateResource, AcmeIssuerResource>();
        foreach (var certificate in certificates)
        {
            var issuer = (production ? certificate.ProductionIssuer : null) ?? certificate.Issuer
                ?? throw new InvalidOperationException($"The certificate '{certificate.Name}' has no issuer: add .WithIssuer(issuer), or .WithIssuer(local: issuer, production: letsEncrypt).");
            if (OnHost(issuer))
            {
                // Issued on this machine by the app itself: nothing for a cluster.
                skipped.Add(certificate.Name);
                continue;
            }

            if (production && issuer.Ca is not null)
            {
                throw new InvalidOperationException($"The certificate '{certificate.Name}' would use the local step-ca issuer '{issuer.Name}' in Production. Choose the issuer by environment: .WithIssuer(local: {issuer.Name}, production: letsEncrypt).");
            }

            if (certificate.DnsNames.FirstOrDefault(n => n.StartsWith("*.", StringComparison.Ordinal)) is { } wildcard)
            {
                // Placement may have changed after WithDnsNames (InCluster later): say it here too.
                throw new InvalidOperationException(CertManagerRules.WildcardInCluster(certificate.Name, wildcard));
            }

            chosen[certificate] = issuer;
        }

        skipped.AddRange(all.OfType<StepCaResource>().Where(c => c.Cluster is null).Select(c => c.Name));
        skipped.AddRange(all.OfType<AcmeIssuerResource>().Where(OnHost).Select(i => i.Name));
        // Outside Production a public ACME issuer (Let's Encrypt) goes only where a certificate uses it, as the seed selects
        // the issuer by environment: a local cluster should not register an account with production ACME for nothing
        // (offline it cannot, and that issuer would read as failing).
        issuers.AddRange(all.OfType<AcmeIssuerResource>().Where(i => !OnHost(i) && (production ? i.Ca is null : i.Ca is not null || chosen.ContainsValue(i))));
        var cas = production ? [] : all.OfType<StepCaResource>().Where(c => c.Cluster is not null).ToList();
        var materials = new Dictionary<StepCaResource, CaMaterial>();
        CaMaterial MaterialOf(StepCaResource ca) => materials.TryGetValue(ca, out var m) ? m : materials[ca] = material(ca);

        var objects = new List<IKubernetesObject>();
        var helm = new Dictionary<string, System.Text.Json.Nodes.JsonObject>();
        foreach (var ca in cas)
        {
            var password = keyPassword?.Invoke(ca);
            objects.AddRange(StepCaKubernetesRenderer.Render(ca, MaterialOf(ca), password));
            helm[ca.Name] = StepCaHelmValuesRenderer.Render(ca, MaterialOf(ca), password);
        }

        foreach (var issuer in issuers)
        {
            var ingressClass = issuer.Ca?.Cluster?.IngressClassName ?? all.OfType<KubeconfigClusterResource>().FirstOrDefault()?.IngressClassName ?? KubeconfigClusterResource.DefaultIngressClassName;
            objects.Add(CertManagerRenderer.Render(issuer, issuer.Ca is null ? null : MaterialOf(issuer.Ca), ingressClass));
        }

        foreach (var certificate in certificates.Where(chosen.ContainsKey))
        {
            var rendered = CertManagerRenderer.Render(certificate, chosen[certificate]);
            objects.Add(rendered);
            if (certificate.IngressBackend is not null)
            {
                var ingressClass = certificate.Hostnames.Select(h => h.Cluster?.IngressClassName).FirstOrDefault(c => c is not null)
                    ?? all.OfType<KubeconfigClusterResource>().FirstOrDefault()?.IngressClassName ?? KubeconfigClusterResource.DefaultIngressClassName;
                objects.Add(CertManagerRenderer.RenderIngress(certificate, rendered, ingressClass));
            }
        }

        if (all.OfType<KubeconfigClusterResource>().Select(c => c.AppIdentity).FirstOrDefault(i => i is not null) is { } identity)
        {
            foreach (var obj in objects.OfType<k8s.Models.IMetadata<k8s.Models.V1ObjectMeta>>())
            {
                obj.Metadata.Labels ??= new Dictionary<string, string>();
                obj.Metadata.Labels[PartOfLabel] = identity;
            }
        }

        return new ClusterManifestSet(objects, helm, cas.Count > 0, skipped);
    }
}
