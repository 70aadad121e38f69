using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.Logging;

namespace LocalTls.Host;

/// <summary>Marks a project that serves a LocalTls certificate from its Kestrel (<c>WithLocalTls</c>).</summary>
/// <param name="Certificate">The certificate it serves.</param>
/// <param name="Trust">Makes the project trust a CA's root (typed where <c>WithLocalTls</c> knows the resource type).</param>
internal sealed record LocalTlsServingAnnotation(CertificateResource Certificate, Action<StepCaResource> Trust) : IResourceAnnotation;

/// <summary>
/// Points Kestrel at a certificate issued on this machine. Every http(s) endpoint is given to Kestrel as an
/// <c>Endpoints</c> entry, because Kestrel watches the certificate files of configured endpoints and reloads them
/// when a renewal rewrites them, while a default certificate (<c>Certificates:Default</c>) is read once at start.
/// </summary>
internal static class LocalTlsServing
{
    public static void Wire(IDistributedApplicationBuilder builder, IResource resource, ILogger logger)
    {
        var serving = resource.Annotations.OfType<LocalTlsServingAnnotation>().Last();
        var certificate = serving.Certificate;
        if (certificate.HostDirectory is null || resource is not IResourceWithEndpoints withEndpoints || resource is not IResourceWithEnvironment)
        {
            throw new InvalidOperationException($"'{resource.Name}' uses WithLocalTls: {LocalTlsProjectExtensions.NotOnThisMachine(certificate)}");
        }

        serving.Trust(certificate.Issuer!.Ca!);

        var endpoints = resource.Annotations.OfType<EndpointAnnotation>().ToList();
        if (!endpoints.Any(e => e.UriScheme == "https"))
        {
            // 'dotnet new web' puts the http profile first: without this, the certificate would be issued for nothing.
            logger.LogInformation("'{Resource}' has no https endpoint; LocalTls adds one named 'https' for the certificate '{Certificate}'.", resource.Name, certificate.Name);
            var https = new EndpointAnnotation(System.Net.Sockets.ProtocolType.Tcp, uriScheme: "https", name: "https");
            resource.Annotations.Add(https);
            endpoints.Add(https);
        }

        var directory = certificate.HostDirectory!;
        builder.CreateResourceBuilder((IResourceWithEnvironment)resource).WithEnvironment(context =>
        {
            foreach (var endpoint in endpoints.Where(e => e.UriScheme is "http" or "https"))
            {
                var reference = withEndpoints.GetEndpoint(endpoint.Name);
                var key = $"Kestrel__Endpoints__{endpoint.Name}";
                context.EnvironmentVariables[$"{key}__Url"] = ReferenceExpression.Create($"{endpoint.UriScheme}://localhost:{reference.Property(EndpointProperty.TargetPort)}");
                if (endpoint.UriScheme == "https")
                {
                    context.EnvironmentVariables[$"{key}__Certificate__Path"] = Path.Combine(directory, "tls.crt");
                    context.EnvironmentVariables[$"{key}__Certificate__KeyPath"] = Path.Combine(directory, "tls.key");
                }
            }

            // The Endpoints above replace the URLs; without this Kestrel would warn that it overrides them.
            context.EnvironmentVariables.Remove("ASPNETCORE_URLS");
        });
    }
}
