using System.Net;
using System.Text.Json.Nodes;
using Aspire.Hosting.ApplicationModel;
using k8s;
using k8s.Autorest;
using k8s.Exceptions;
using k8s.Models;

namespace LocalTls.Cluster;

/// <summary>A connected cluster: the client, and what was found out about it.</summary>
internal sealed record ClusterConnection(IKubernetes Client, string Kubeconfig, string Context, Uri Server, string Version, int Nodes, string? IngressClass, IPAddress? IngressAddress);

/// <summary>Reaches a cluster through a kubeconfig and tells why it cannot, in terms a person can act on.</summary>
internal static class ClusterConnector
{
    /// <summary>The kubeconfig file: explicit, else the first of <c>$KUBECONFIG</c>, else <c>~/.kube/config</c>.</summary>
    public static string KubeconfigPath(KubeconfigClusterResource cluster, Func<string, string?>? environment = null)
    {
        environment ??= Environment.GetEnvironmentVariable;
        if (cluster.KubeconfigPath is { } path)
        {
            return path;
        }

        var fromEnvironment = environment("KUBECONFIG")?.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries).FirstOrDefault();
        return fromEnvironment ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".kube", "config");
    }

    /// <summary>Connects, reads the version and nodes, and discovers the ingress class and address.</summary>
    /// <exception cref="ClusterUnavailableException">The message says what is wrong and what to do.</exception>
    public static async Task<ClusterConnection> ConnectAsync(KubeconfigClusterResource cluster, CancellationToken cancellationToken)
    {
        var path = KubeconfigPath(cluster);
        if (!File.Exists(path))
        {
            throw new ClusterUnavailableException($"The kubeconfig '{path}' does not exist. Start your cluster (k3d cluster create, colima start --kubernetes, Rancher Desktop) so it writes one, or point WithKubeconfig(path) at it.");
        }

        KubernetesClientConfiguration config;
        string context;
        try
        {
            var file = await KubernetesClientConfiguration.LoadKubeConfigAsync(new FileInfo(path));
            context = cluster.Context ?? file.CurrentContext ?? throw new ClusterUnavailableException($"The kubeconfig '{path}' has no current context: name one with WithKubeconfig(\"{path}\", context: \"...\"), or run 'kubectl config use-context NAME'.");
            if (file.Contexts?.All(c => c.Name != context) ?? true)
            {
                var known = string.Join(", ", file.Contexts?.Select(c => c.Name) ?? []);
                throw new ClusterUnavailableException($"The kubeconfig '{path}' has no context '{context}'; it has: {(known.Length == 0 ? "none" : known)}. Use one of them in WithKubeconfig(path, context).");
            }

            config = KubernetesClientConfiguration.BuildConfigFromConfigObject(file, context);
        }
        catch (KubeConfigException ex)
        {
            throw new ClusterUnavailableException($"The kubeconfig '{path}' cannot be used: {ex.Message}");
        }
        catch (Exception ex) when (ex is IOException or YamlDotNet.Core.YamlException)
        {
            throw new ClusterUnavailableException($"The kubeconfig '{path}' cannot be read: {ex.Message}");
        }

        var client = new Kubernetes(config);
        var server = new Uri(config.Host);
        try
        {
            var version = await client.Version.GetCodeAsync(cancellationToken);
            var nodes = await client.CoreV1.ListNodeAsync(cancellationToken: cancellationToken);
            var ingressClass = await DiscoverIngressClassAsync(client, cancellationToken);
            var address = await DiscoverIngressAddressAsync(client, ingressClass, nodes, cancellationToken);
            return new ClusterConnection(client, path, context, server, version.GitVersion, nodes.Items.Count, ingressClass, address);
        }
        catch (HttpOperationException ex) when (ex.Response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
        {
            client.Dispose();
            throw new ClusterUnavailableException($"The API server at {server} refused the credentials of context '{context}' ({(int)ex.Response.StatusCode}). Renew them (k3d kubeconfig merge, colima restart) or pick another context.");
        }
        catch (HttpRequestException ex) when (ex.InnerException is System.Security.Authentication.AuthenticationException)
        {
            client.Dispose();
            throw new ClusterUnavailableException($"TLS with the API server at {server} failed: {ex.InnerException.Message}. The kubeconfig's certificate-authority-data must match the cluster; rewrite it from the cluster (k3d kubeconfig write, colima kubernetes reset).");
        }
        catch (HttpRequestException ex)
        {
            client.Dispose();
            throw new ClusterUnavailableException($"The API server at {server} (context '{context}') is not reachable: {ex.Message}. Is the cluster running? Start it (k3d cluster start, colima start --kubernetes) and LocalTls connects by itself.");
        }
    }

    /// <summary>The IngressClass marked default, else <c>traefik</c> when present, else the only one; <see langword="null"/> when there is none.</summary>
    internal static async Task<string?> DiscoverIngressClassAsync(IKubernetes client, CancellationToken cancellationToken)
    {
        var classes = (await client.NetworkingV1.ListIngressClassAsync(cancellationToken: cancellationToken)).Items;
        var marked = classes.FirstOrDefault(c => c.Metadata.Annotations?.TryGetValue("ingressclass.kubernetes.io/is-default-class", out var v) == true && v == "true");
        return marked?.Metadata.Name
            ?? classes.FirstOrDefault(c => c.Metadata.Name == KubeconfigClusterResource.DefaultIngressClassName)?.Metadata.Name
            ?? (classes.Count == 1 ? classes[0].Metadata.Name : null);
    }

    /// <summary>The IngressClasses the rendered objects need: the HTTP-01 solvers' and the Ingresses'.</summary>
    internal static IReadOnlyList<string> IngressClassesUsed(IEnumerable<IKubernetesObject> objects) =>
    [
        .. objects.Select(o => o switch
        {
            CertManager.ClusterIssuer i => i.Spec.Acme?.Solvers,
            CertManager.Issuer i => i.Spec.Acme?.Solvers,
            _ => null,
        }).SelectMany(s => s ?? []).Select(s => s.Http01?.Ingress?.IngressClassName)
        .Concat(objects.OfType<V1Ingress>().Select(i => i.Spec?.IngressClassName))
        .OfType<string>().Distinct(StringComparer.Ordinal),
    ];

    /// <summary>
    /// Why the ingress classes cannot serve HTTP-01 challenges yet, with what to run; <see langword="null"/> when every
    /// one exists. Colima starts k3s without Traefik unless told otherwise, so "no IngressClass at all" is common.
    /// </summary>
    internal static async Task<string?> IngressProblemAsync(IKubernetes client, IReadOnlyList<string> needed, CancellationToken cancellationToken)
    {
        if (needed.Count == 0)
        {
            return null;
        }

        var present = (await client.NetworkingV1.ListIngressClassAsync(cancellationToken: cancellationToken)).Items.Select(c => c.Metadata.Name).ToList();
        var missing = needed.Where(n => !present.Contains(n)).ToList();
        if (missing.Count == 0)
        {
            return null;
        }

        return present.Count == 0
            ? $"Waiting for an ingress controller: the cluster has no IngressClass, so cert-manager's HTTP-01 solver (IngressClass '{missing[0]}') cannot be reached. k3s without Traefik (Colima's default) needs one: 'helm repo add traefik https://traefik.github.io/charts && helm install traefik traefik/traefik -n kube-system' (on Colima you can instead remove '--disable=traefik' from k3sArgs with 'colima start --edit'). LocalTls goes on by itself once it is there."
            : $"Waiting for the IngressClass '{missing[0]}' that the HTTP-01 solver uses: the cluster has {string.Join(", ", present.Select(p => $"'{p}'"))}. Use one of them with WithIngressClass(\"{present[0]}\") on the cluster, or install the ingress controller for '{missing[0]}'. LocalTls goes on by itself once it is there.";
    }

    /// <summary>The ingress controller Service's load-balancer address, else a node's InternalIP.</summary>
    internal static async Task<IPAddress?> DiscoverIngressAddressAsync(IKubernetes client, string? ingressClass, V1NodeList nodes, CancellationToken cancellationToken)
    {
        if (ingressClass is not null)
        {
            var services = await client.CoreV1.ListServiceForAllNamespacesAsync(cancellationToken: cancellationToken);
            var controller = IngressControllerService(services.Items, ingressClass);
            var ip = controller?.Status?.LoadBalancer?.Ingress?.Select(i => i.Ip).FirstOrDefault(i => i is not null);
            if (ip is not null && IPAddress.TryParse(ip, out var balancer))
            {
                return balancer;
            }
        }

        var internalIp = nodes.Items.SelectMany(n => n.Status?.Addresses ?? []).FirstOrDefault(a => a.Type == "InternalIP")?.Address;
        return internalIp is not null && IPAddress.TryParse(internalIp, out var node) ? node : null;
    }

    /// <summary>The ingress controller's Service: a LoadBalancer named, or labelled <c>app.kubernetes.io/name</c>, after the ingress class (k3s: kube-system/traefik).</summary>
    internal static V1Service? IngressControllerService(IEnumerable<V1Service> services, string ingressClass) =>
        services.FirstOrDefault(s => s.Spec?.Type == "LoadBalancer"
            && (s.Metadata.Name.Contains(ingressClass, StringComparison.OrdinalIgnoreCase)
                || (s.Metadata.Labels?.TryGetValue("app.kubernetes.io/name", out var name) == true && name.Contains(ingressClass, StringComparison.OrdinalIgnoreCase))));

    /// <summary>The object as JSON, for the API calls that take any kind.</summary>
    public static JsonObject ToJson(IKubernetesObject obj) => ManifestYaml.ToJson(obj);
}

/// <summary>The cluster cannot be used right now; the message says why and what to do.</summary>
internal sealed class ClusterUnavailableException(string message) : Exception(message);
