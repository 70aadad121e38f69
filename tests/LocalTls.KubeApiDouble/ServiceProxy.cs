using System.Collections.Concurrent;
using Microsoft.AspNetCore.Http;

namespace LocalTls.KubeApiDouble;

/// <summary>
/// <c>/api/v1/namespaces/{ns}/services/[https:]{name}[:{port}]/proxy/{path}</c>. The real server proxies to one of
/// the Service's endpoints; here a test registers the backend (a loopback URL) that stands for the Service's pods.
/// </summary>
public sealed class ServiceProxy
{
    private readonly ConcurrentDictionary<string, Uri> backends = new(StringComparer.Ordinal);

    /// <summary>Accepts any certificate: backends are the tests' own loopback servers (step-ca with its own root).</summary>
    private readonly HttpClient client = new(new SocketsHttpHandler
    {
        SslOptions = { RemoteCertificateValidationCallback = (_, _, _, _) => true },
        AllowAutoRedirect = false,
    });

    /// <summary>Requests to the Service's port (name or number) go to <paramref name="backend"/>.</summary>
    public void Register(string ns, string service, string port, Uri backend) => backends[$"{ns}/{service}:{port}"] = backend;

    public void Unregister(string ns, string service, string port) => backends.TryRemove($"{ns}/{service}:{port}", out _);

    /// <summary>Finds a backend no test registered (the <see cref="Kubelet"/> stand-in answers for the pods it runs).</summary>
    public Func<string, string, string, Uri?>? Resolver { get; set; }

    /// <summary>Where the Service's port (name or number, or "" for its only one) is served: a registered backend, else the <see cref="Resolver"/>'s.</summary>
    public Uri? Backend(string ns, string service, string port) =>
        backends.TryGetValue($"{ns}/{service}:{port}", out var registered) ? registered : Resolver?.Invoke(ns, service, port);

    internal async Task ForwardAsync(HttpContext context, string ns, string serviceSpec, string path)
    {
        // [scheme:]name[:port]
        var parts = serviceSpec.Split(':');
        var (name, port) = parts switch
        {
            [var n] => (n, ""),
            ["http" or "https", var n] => (n, ""),
            ["http" or "https", var n, var p] => (n, p),
            [var n, var p] => (n, p),
            _ => (serviceSpec, ""),
        };
        var backend = Backend(ns, name, port);
        if (backend is null)
        {
            throw new ApiError(503, "ServiceUnavailable", $"no endpoints available for service \"{serviceSpec}\"");
        }

        var target = new Uri(backend, path + context.Request.QueryString.Value);
        using var request = new HttpRequestMessage(new HttpMethod(context.Request.Method), target);
        if (context.Request.ContentLength > 0 || context.Request.Headers.TransferEncoding.Count > 0)
        {
            request.Content = new StreamContent(context.Request.Body);
            if (context.Request.ContentType is { } contentType)
            {
                request.Content.Headers.TryAddWithoutValidation("Content-Type", contentType);
            }
        }

        HttpResponseMessage response;
        try
        {
            response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, context.RequestAborted);
        }
        catch (HttpRequestException e)
        {
            // The real server's answer when the endpoint refuses: 503 with the dial error.
            throw new ApiError(503, "ServiceUnavailable", $"error trying to reach service: {e.Message}");
        }

        using (response)
        {
            context.Response.StatusCode = (int)response.StatusCode;
            foreach (var header in response.Content.Headers.Where(h => h.Key is "Content-Type"))
            {
                context.Response.Headers[header.Key] = header.Value.ToArray();
            }

            await response.Content.CopyToAsync(context.Response.Body, context.RequestAborted);
        }
    }
}
