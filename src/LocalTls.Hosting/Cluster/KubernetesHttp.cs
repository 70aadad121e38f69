using k8s;

namespace LocalTls.Cluster;

/// <summary>
/// Requests the generated client has no method for (generic lists and watches of custom resources, <c>/readyz</c>),
/// sent through the client's own HttpClient. Client certificates live in its handler, but bearer tokens, token files
/// and exec plugins are added per request by its credentials, so every raw request goes through them too.
/// </summary>
internal static class KubernetesHttp
{
    public static async Task<HttpResponseMessage> GetAsync(IKubernetes client, string path, HttpCompletionOption completion, CancellationToken cancellationToken)
    {
        var kubernetes = (Kubernetes)client;
        // Appended, not resolved: a server URL with a path (a proxy such as Rancher's /k8s/clusters/{id}) keeps it.
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(kubernetes.BaseUri.ToString().TrimEnd('/') + "/" + path.TrimStart('/')));
        if (kubernetes.Credentials is { } credentials)
        {
            await credentials.ProcessHttpRequestAsync(request, cancellationToken);
        }

        return await kubernetes.HttpClient.SendAsync(request, completion, cancellationToken);
    }

    public static async Task<string> GetStringAsync(IKubernetes client, string path, CancellationToken cancellationToken)
    {
        using var response = await GetAsync(client, path, HttpCompletionOption.ResponseContentRead, cancellationToken);
        response.EnsureSuccessStatusCode();
        return await response.Content.ReadAsStringAsync(cancellationToken);
    }
}
