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
    /// var tls = builder.AddCertificate("web-tls", builder.AddSslipHostname("web")).WithIssuer(issuer);
    /// builder.AddProject&lt;Projects.Web&gt;("web").WithLocalTls(tls);
    /// </code>
    /// </example>
    public static IResourceBuilder<TResource> WithLocalTls<TResource>(this IResourceBuilder<TResource> builder, IResourceBuilder<CertificateResource> certificate)
        where TResource : IResourceWithEnvironment, IResourceWithWaitSupport, IResourceWithEndpoints
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(certificate);
        var directory = certificate.Resource.HostDirectory ?? throw new ArgumentException(
            $"The certificate '{certificate.Resource.Name}' is not issued on this machine: give it an issuer whose step-ca is not in a cluster (AddStepCa without InCluster), or serve it from the cluster's Ingress.",
            nameof(certificate));
        var hostname = certificate.Resource.Hostnames.Select(h => h.Hostname).FirstOrDefault(h => h is not null);
        builder.WaitFor(certificate)
            .WithEnvironment("Kestrel__Certificates__Default__Path", Path.Combine(directory, "tls.crt"))
            .WithEnvironment("Kestrel__Certificates__Default__KeyPath", Path.Combine(directory, "tls.key"));
        if (hostname is not null)
        {
            builder.WithUrls(context =>
            {
                foreach (var url in context.Urls.Where(u => u.Url.StartsWith("https://", StringComparison.OrdinalIgnoreCase)))
                {
                    url.Url = new UriBuilder(url.Url) { Host = hostname }.Uri.ToString().TrimEnd('/');
                }
            });
        }

        return builder;
    }
}
