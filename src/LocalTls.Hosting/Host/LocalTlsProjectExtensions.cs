using Aspire.Hosting.ApplicationModel;

namespace Aspire.Hosting;

/// <summary>Serves a LocalTls certificate from a project's Kestrel, on its sslip.io host name.</summary>
public static class LocalTlsProjectExtensions
{
    /// <summary>
    /// Starts the project once <paramref name="certificate"/> is issued (on this machine), points Kestrel's default
    /// certificate at it, and shows the project's https URLs under the certificate's first sslip.io host name, e.g.
    /// <c>https://web.127.0.0.1.sslip.io:7001</c>.
    /// </summary>
    /// <param name="builder">The project.</param>
    /// <param name="certificate">A certificate issued by a step-ca that runs on this machine.</param>
    /// <example>
    /// <code>
    /// var ca = builder.AddStepCa("step-ca");
    /// var issuer = builder.AddCertManagerIssuer("local", ca);
    /// var tls = builder.AddCertificate("web-tls", builder.AddSslipHostname("web-hostname", "web")).WithIssuer(issuer);
    /// builder.AddProject&lt;Projects.Web&gt;("web").WithLocalTls(tls);
    /// </code>
    /// </example>
    public static IResourceBuilder<TResource> WithLocalTls<TResource>(this IResourceBuilder<TResource> builder, IResourceBuilder<CertificateResource> certificate)
        where TResource : IResourceWithEnvironment, IResourceWithArgs, IResourceWithWaitSupport, IResourceWithEndpoints
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(certificate);
        if (certificate.Resource.Issuer?.Ca is { Cluster: not null } || certificate.Resource.Issuer is { Ca: null })
        {
            throw new ArgumentException(NotOnThisMachine(certificate.Resource), nameof(certificate));
        }

        // Wired when the app starts (LocalTlsServing), so the issuer, endpoints and placement may be set in any order.
        return builder.WithAnnotation(new LocalTls.Host.LocalTlsServingAnnotation(certificate.Resource, ca => Trust(builder, ca)), ResourceAnnotationMutationBehavior.Replace)
            .WaitFor(certificate)
            .WithUrls(context =>
            {
                if (certificate.Resource.Hostnames.Select(h => h.Hostname).FirstOrDefault(h => h is not null) is not { } hostname)
                {
                    return;
                }

                foreach (var url in context.Urls.Where(u => u.Url.StartsWith("https://", StringComparison.OrdinalIgnoreCase)))
                {
                    url.Url = new UriBuilder(url.Url) { Host = hostname }.Uri.ToString().TrimEnd('/');
                }
            });
    }

    /// <summary>Why a certificate cannot be served by a project here.</summary>
    internal static string NotOnThisMachine(CertificateResource certificate) =>
        $"The certificate '{certificate.Name}' is not issued on this machine: give it an issuer whose step-ca is not in a cluster (AddStepCa without InCluster), or serve it from the cluster's Ingress.";

    /// <summary>
    /// Makes the resource trust the root of a step-ca running on this machine (besides the system's roots), so it
    /// can call other resources over HTTPS; it starts once the CA is up.
    /// </summary>
    /// <param name="builder">The resource that makes HTTPS calls.</param>
    /// <param name="ca">A step-ca not placed in a cluster.</param>
    /// <example>
    /// <code>
    /// builder.AddProject&lt;Projects.Worker&gt;("worker").WithLocalTlsTrust(ca);
    /// </code>
    /// </example>
    public static IResourceBuilder<TResource> WithLocalTlsTrust<TResource>(this IResourceBuilder<TResource> builder, IResourceBuilder<StepCaResource> ca)
        where TResource : IResourceWithEnvironment, IResourceWithArgs, IResourceWithWaitSupport
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(ca);
        if (ca.Resource.Cluster is not null)
        {
            throw new ArgumentException($"The step-ca '{ca.Resource.Name}' runs in a cluster; WithLocalTlsTrust is for a step-ca on this machine. Trust its root with 'localtls ca show --format pem' instead.", nameof(ca));
        }

        return Trust(builder, ca.Resource);
    }

    internal static IResourceBuilder<TResource> Trust<TResource>(IResourceBuilder<TResource> builder, StepCaResource ca)
        where TResource : IResourceWithEnvironment, IResourceWithArgs, IResourceWithWaitSupport
    {
        // The collection is filled with the root when the app starts (HostTarget), before any resource that reads it.
        ca.Trust ??= builder.ApplicationBuilder.AddCertificateAuthorityCollection($"{ca.Name}-roots").ExcludeFromManifest().Resource;
        if (builder.Resource.Annotations.OfType<CertificateAuthorityCollectionAnnotation>().Any(a => a.CertificateAuthorityCollections.Contains(ca.Trust)))
        {
            return builder;
        }

        return builder.WaitFor(builder.ApplicationBuilder.CreateResourceBuilder(ca)).WithCertificateAuthorityCollection(builder.ApplicationBuilder.CreateResourceBuilder(ca.Trust));
    }
}
