using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using k8s;
using k8s.Autorest;
using k8s.Models;
using LocalTls.Sslip;

namespace LocalTls.Cluster;

/// <summary>What the CoreDNS override step found or did, in words for the cluster resource's property.</summary>
/// <param name="InPlace">Whether LocalTls's server block is in the cluster now.</param>
/// <param name="Summary">What it means, for a person.</param>
internal sealed record CoreDnsOverrideState(bool InPlace, string Summary);

/// <summary>
/// sslip.io and nip.io inside a k3s cluster without the internet: LocalTls's own key (<see cref="CoreDnsNames"/>) in the
/// ConfigMap whose <c>*.server</c> keys k3s's Corefile imports (<c>import /etc/coredns/custom/*.server</c>; the
/// Deployment mounts <c>coredns-custom</c>, optional, at <c>/etc/coredns/custom</c>). The block is a CoreDNS server for
/// the zones made of <c>template</c> plugins, rendered from <see cref="SslipAnswerRules"/>, the rules LocalTls's own
/// responder answers from too.
/// </summary>
/// <remarks>
/// No restart: k3s's Corefile has <c>reload</c>, which since CoreDNS 1.6 also hashes the files it imports
/// (coredns/coredns#3068; the plugin README's Bugs note predates it, see coredns/coredns#6243), and the kubelet
/// refreshes ConfigMap volumes on its sync period, so CoreDNS picks the key up (and drops it) within about two minutes.
/// Restarting the Deployment would disturb every pod's DNS for that, and the Deployment is k3s's to manage.
/// </remarks>
internal static partial class CoreDnsOverride
{
    /// <summary>TTL of the answers, as LocalTls's responder gives.</summary>
    public const int Ttl = 60;

    /// <summary>How long until CoreDNS serves a change, to say so.</summary>
    public const string PickUp = "CoreDNS's reload plugin picks it up within about two minutes, no restart (should it not: kubectl -n kube-system rollout restart deployment coredns)";

    /// <summary>0-255 without leading zeros, as sslip.io reads an octet.</summary>
    internal const string Octet = "(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])";

    /// <summary>
    /// The regexes for names that carry an address, in sslip.io's precedence: the leftmost dashed IPv4, then the leftmost
    /// dotted one. Go regexp (RE2) syntax, matched against the lower-cased query name with its trailing dot; the lazy
    /// prefix makes the leftmost delimited address the one captured.
    /// </summary>
    public static IReadOnlyList<string> AddressPatterns(SslipAnswerRules rules) =>
    [
        Address(rules, "-"),
        Address(rules, "[.]"),
    ];

    /// <summary>The zone apex, which exists (no data) but carries no address.</summary>
    public static string ApexPattern(SslipAnswerRules rules) => $"^{Zones(rules)}[.]$";

    private static string Address(SslipAnswerRules rules, string separator) =>
        $"^(?:.*?[.-])??(?P<a>{Octet}){separator}(?P<b>{Octet}){separator}(?P<c>{Octet}){separator}(?P<d>{Octet})(?:[.-].*)?[.]{Zones(rules)}[.]$";

    private static string Zones(SslipAnswerRules rules) => "(?:" + string.Join('|', rules.Zones.Select(z => z.Replace(".", "[.]", StringComparison.Ordinal))) + ")";

    /// <summary>The A record the address templates answer (a Go template over the named groups).</summary>
    public static string AnswerTemplate(SslipAnswerRules rules)
    {
        const string written = "{{ .Group.a }}.{{ .Group.b }}.{{ .Group.c }}.{{ .Group.d }}";
        var address = rules.LoopbackTarget is { } target
            ? $"{{{{ if eq .Group.a `{SslipAnswerRules.LoopbackFirstOctet}` }}}}{target}{{{{ else }}}}{written}{{{{ end }}}}"
            : written;
        return $"{{{{ .Name }}}} {Ttl} IN A {address}";
    }

    /// <summary>The server block stored under <see cref="CoreDnsNames.Key"/>.</summary>
    public static string Render(SslipAnswerRules rules)
    {
        var zones = string.Join(' ', rules.Zones);
        var text = new StringBuilder();
        text.Append("# LocalTls: ").Append(string.Join(" and ", rules.Zones)).Append(" answered inside the cluster, without the internet.\n");
        text.Append(rules.LoopbackTarget is { } target
            ? $"# Names carrying a 127.x.x.x address answer {target} (the ingress controller's Service), not the pod itself.\n"
            : "# Names carrying a 127.x.x.x address answer it as written (no ingress controller Service was found).\n");
        text.Append("# Written by LocalTls with server-side apply (field manager localtls); edit the AppHost, not this key.\n");
        text.Append(string.Join(' ', rules.Zones.Select(z => z + ":53"))).Append(" {\n");
        text.Append("    errors\n");
        text.Append("    template IN A ").Append(zones).Append(" {\n");
        foreach (var pattern in AddressPatterns(rules))
        {
            text.Append("        match \"").Append(pattern).Append("\"\n");
        }

        text.Append("        answer \"").Append(AnswerTemplate(rules)).Append("\"\n");
        text.Append("        fallthrough\n");
        text.Append("    }\n");
        text.Append("    template ANY ANY ").Append(zones).Append(" {\n");
        foreach (var pattern in AddressPatterns(rules).Append(ApexPattern(rules)))
        {
            text.Append("        match \"").Append(pattern).Append("\"\n");
        }

        text.Append("        rcode NOERROR\n");
        text.Append("        fallthrough\n");
        text.Append("    }\n");
        text.Append("    template ANY ANY ").Append(zones).Append(" {\n");
        text.Append("        rcode NXDOMAIN\n");
        text.Append("    }\n");
        text.Append("}\n");
        return text.ToString();
    }

    [GeneratedRegex(@"^\s*import\s+(?:/etc/coredns/)?custom/\*\.server\s*$", RegexOptions.Multiline)]
    private static partial Regex ImportsServerKeys();

    /// <summary>
    /// Whether the cluster's CoreDNS imports <c>coredns-custom</c>'s <c>*.server</c> keys, as k3s's does: its Corefile
    /// has the import and its Deployment mounts the ConfigMap. <see langword="null"/> when it does; else why not.
    /// </summary>
    public static async Task<string?> NotSupportedReasonAsync(IKubernetes client, CancellationToken cancellationToken)
    {
        V1ConfigMap corefile;
        try
        {
            corefile = await client.CoreV1.ReadNamespacedConfigMapAsync("coredns", CoreDnsNames.Namespace, cancellationToken: cancellationToken);
        }
        catch (HttpOperationException ex) when (ex.Response.StatusCode == HttpStatusCode.NotFound)
        {
            return $"there is no {CoreDnsNames.Namespace}/coredns ConfigMap (not k3s's CoreDNS)";
        }

        if (corefile.Data?.TryGetValue("Corefile", out var text) != true || !ImportsServerKeys().IsMatch(text!))
        {
            return $"{CoreDnsNames.Namespace}/coredns's Corefile does not import /etc/coredns/custom/*.server (not k3s's CoreDNS)";
        }

        try
        {
            var deployment = await client.AppsV1.ReadNamespacedDeploymentAsync("coredns", CoreDnsNames.Namespace, cancellationToken: cancellationToken);
            if (deployment.Spec?.Template?.Spec?.Volumes?.Any(v => v.ConfigMap?.Name == CoreDnsNames.ConfigMap) != true)
            {
                return $"the {CoreDnsNames.Namespace}/coredns Deployment does not mount the {CoreDnsNames.ConfigMap} ConfigMap";
            }
        }
        catch (HttpOperationException ex) when (ex.Response.StatusCode == HttpStatusCode.NotFound)
        {
            return $"there is no {CoreDnsNames.Namespace}/coredns Deployment";
        }

        return null;
    }

    /// <summary>The ingress controller Service's ClusterIP and name, or nulls when there is none.</summary>
    public static async Task<(IPAddress? ClusterIp, string? Service)> FindIngressServiceAsync(IKubernetes client, string ingressClass, CancellationToken cancellationToken)
    {
        var services = await client.CoreV1.ListServiceForAllNamespacesAsync(cancellationToken: cancellationToken);
        var service = ClusterConnector.IngressControllerService(services.Items, ingressClass);
        return service?.Spec?.ClusterIP is { } ip && ClusterRules.TryParseAddress(ip, out var address) && address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork
            ? (address, $"{service.Metadata.NamespaceProperty}/{service.Metadata.Name}")
            : (null, null);
    }

    /// <summary>
    /// Applies LocalTls's key when the cluster's CoreDNS imports it, with server-side apply of that one key only (keys
    /// other managers wrote stay theirs), and says what it did or why not.
    /// </summary>
    public static async Task<CoreDnsOverrideState> EnsureAsync(IKubernetes client, string ingressClass, CancellationToken cancellationToken)
    {
        if (await NotSupportedReasonAsync(client, cancellationToken) is { } reason)
        {
            return new(false, $"Not applied: {reason}. Pods resolve sslip.io/nip.io names through the public service (they need the internet), and a name carrying 127.0.0.1 resolves to the pod itself, so HTTP-01 for it cannot reach the ingress: use the ingress address in names (WithIngressAddress), or add an equivalent block to your cluster's CoreDNS yourself.");
        }

        var (target, service) = await FindIngressServiceAsync(client, ingressClass, cancellationToken);
        var rules = new SslipAnswerRules(zones: null, target);
        var body = new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "ConfigMap",
            ["metadata"] = new JsonObject { ["name"] = CoreDnsNames.ConfigMap, ["namespace"] = CoreDnsNames.Namespace },
            ["data"] = new JsonObject { [CoreDnsNames.Key] = Render(rules) },
        };
        try
        {
            await client.CoreV1.PatchNamespacedConfigMapAsync(new V1Patch(body.ToJsonString(), V1Patch.PatchType.ApplyPatch), CoreDnsNames.ConfigMap, CoreDnsNames.Namespace, fieldManager: ClusterTarget.FieldManager, cancellationToken: cancellationToken);
        }
        catch (HttpOperationException ex) when (ex.Response.StatusCode == HttpStatusCode.Conflict)
        {
            return new(false, $"Not applied: the key {CoreDnsNames.Key} in {CoreDnsNames.Namespace}/{CoreDnsNames.ConfigMap} belongs to another field manager ({ClusterTarget.StatusMessage(ex.Response.Content)}). Remove that key, then LocalTls writes its own.");
        }

        var loopback = target is null
            ? $"names carrying 127.x.x.x answer as written (no LoadBalancer Service for ingress class '{ingressClass}' was found)"
            : $"names carrying 127.x.x.x answer {target} ({service})";
        return new(true, $"{CoreDnsNames.Namespace}/{CoreDnsNames.ConfigMap} key {CoreDnsNames.Key}: {string.Join(" and ", rules.Zones)} answered in the cluster without the internet; {loopback}. {PickUp}.");
    }

    /// <summary>
    /// Removes LocalTls's key and nothing else: an apply without it gives up LocalTls's ownership, so the key goes
    /// unless another manager also owns it. A ConfigMap left empty that only LocalTls managed is deleted.
    /// </summary>
    /// <returns>Whether the key was there and is gone now.</returns>
    public static async Task<bool> RemoveAsync(IKubernetes client, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(client);
        V1ConfigMap current;
        try
        {
            current = await client.CoreV1.ReadNamespacedConfigMapAsync(CoreDnsNames.ConfigMap, CoreDnsNames.Namespace, cancellationToken: cancellationToken);
        }
        catch (HttpOperationException ex) when (ex.Response.StatusCode == HttpStatusCode.NotFound)
        {
            return false;
        }

        if (current.Data?.ContainsKey(CoreDnsNames.Key) != true)
        {
            return false;
        }

        var body = new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "ConfigMap",
            ["metadata"] = new JsonObject { ["name"] = CoreDnsNames.ConfigMap, ["namespace"] = CoreDnsNames.Namespace },
        };
        var after = await client.CoreV1.PatchNamespacedConfigMapAsync(new V1Patch(body.ToJsonString(), V1Patch.PatchType.ApplyPatch), CoreDnsNames.ConfigMap, CoreDnsNames.Namespace, fieldManager: ClusterTarget.FieldManager, cancellationToken: cancellationToken);
        if (after.Data?.ContainsKey(CoreDnsNames.Key) == true)
        {
            var others = string.Join(", ", after.Metadata.ManagedFields?.Select(f => f.Manager).Where(m => m != ClusterTarget.FieldManager).Distinct() ?? []);
            throw new InvalidOperationException($"The key {CoreDnsNames.Key} in {CoreDnsNames.Namespace}/{CoreDnsNames.ConfigMap} stays: another field manager also owns it ({others}). Remove it with: kubectl -n {CoreDnsNames.Namespace} patch configmap {CoreDnsNames.ConfigMap} --type=json -p '[{{\"op\":\"remove\",\"path\":\"/data/{CoreDnsNames.Key}\"}}]'");
        }

        if ((after.Data is null || after.Data.Count == 0) && (after.BinaryData is null || after.BinaryData.Count == 0)
            && after.Metadata.ManagedFields?.All(f => f.Manager == ClusterTarget.FieldManager) != false)
        {
            // Only LocalTls made it: leave nothing behind, unless someone changed it meanwhile (the precondition).
            try
            {
                await client.CoreV1.DeleteNamespacedConfigMapAsync(CoreDnsNames.ConfigMap, CoreDnsNames.Namespace, new V1DeleteOptions { Preconditions = new V1Preconditions { ResourceVersion = after.Metadata.ResourceVersion } }, cancellationToken: cancellationToken);
            }
            catch (HttpOperationException ex) when (ex.Response.StatusCode is HttpStatusCode.Conflict or HttpStatusCode.NotFound)
            {
                // Someone else wrote to it or removed it in between: theirs now.
            }
        }

        return true;
    }
}
