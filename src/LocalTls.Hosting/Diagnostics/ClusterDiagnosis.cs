using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using k8s;
using k8s.Autorest;
using k8s.Models;
using LocalTls.Cluster;
using LocalTls.Sslip;

namespace LocalTls.Diagnostics;

/// <summary>
/// The troubleshooting one would do with kubectl, done by reading the cluster: step-ca's health and pod, the
/// issuers' caBundle against the root step-ca serves, issuer and certificate conditions with the
/// CertificateRequest → Order → Challenge chain, the HTTP-01 solver's Ingress, ingress classes, the CoreDNS override
/// for loopback sslip.io names, cert-manager itself, and the clock. Reads only, except cert-manager's own dry-run check.
/// </summary>
internal sealed partial class ClusterDiagnosis(IKubernetes client, TimeProvider? time = null)
{
    /// <summary>More difference than this between this machine and the cluster makes fresh certificates not yet valid here (step-ca backdates by 1 min).</summary>
    public static readonly TimeSpan ClockTolerance = TimeSpan.FromSeconds(60);

    private readonly TimeProvider clock = time ?? TimeProvider.System;

    private sealed record StepCaRef(string Namespace, string Service, int? Port);

    public async Task<IReadOnlyList<Finding>> RunAsync(DiagnosisScope scope, CancellationToken cancellationToken)
    {
        var findings = new List<Finding>();
        if (scope.IsWholeCluster || scope.StepCa is not null || scope.Certificate is not null)
        {
            findings.AddRange(await ClockAsync(cancellationToken));
        }

        var certManager = scope.StepCa is null || scope.IsWholeCluster ? await CertManagerAsync(cancellationToken) : null;
        if (certManager is not null)
        {
            findings.Add(certManager);
        }

        var crds = certManager?.Code != FindingCodes.CertManagerMissing;
        var certificates = crds ? await CertificatesAsync(scope, cancellationToken) : [];
        var issuers = crds ? await IssuersAsync(scope, certificates, cancellationToken) : [];
        var cas = await StepCasAsync(scope, issuers, cancellationToken);
        if (scope.StepCa is { } only && crds)
        {
            // The CA's own view includes the issuers that trust it.
            issuers = [.. (await ListAsync("cert-manager.io", "v1", "clusterissuers", null, cancellationToken)).Concat(await ListAsync("cert-manager.io", "v1", "issuers", null, cancellationToken))
                .Where(i => StepCaOf(i) is { } ca && ca.Namespace == only.Namespace && ca.Service == only.Service)];
        }

        var roots = new Dictionary<(string, string), IReadOnlyList<X509Certificate2>?>();
        foreach (var ca in cas)
        {
            var (caFindings, served) = await StepCaAsync(ca, cancellationToken);
            findings.AddRange(caFindings);
            roots[(ca.Namespace, ca.Service)] = served;
        }

        var classes = (await client.NetworkingV1.ListIngressClassAsync(cancellationToken: cancellationToken)).Items.Select(c => c.Metadata.Name).ToList();
        foreach (var issuer in issuers)
        {
            findings.AddRange(Issuer(issuer, roots, classes));
        }

        if (scope.IsWholeCluster && classes.Count == 0 && !findings.Any(f => f.Code == FindingCodes.IngressClassMissing))
        {
            findings.Add(new Finding(FindingCodes.IngressClassMissing, FindingSeverity.Warning, new FindingObject("IngressClass", null, "*"),
                "The cluster has no IngressClass: HTTP-01 challenges cannot be answered.",
                ["kubectl get ingressclass: none"],
                "Install an ingress controller: on k3s started with --disable traefik, 'helm install traefik traefik/traefik -n kube-system', or use dns-01."));
        }

        foreach (var certificate in certificates)
        {
            findings.AddRange(await CertificateAsync(certificate, cancellationToken));
        }

        findings.AddRange(await CoreDnsOverrideAsync(certificates, cancellationToken));
        return Finding.Sort(findings);
    }

    // ---- clock ----------------------------------------------------------------------------------------------------

    private async Task<IEnumerable<Finding>> ClockAsync(CancellationToken cancellationToken)
    {
        var before = clock.GetUtcNow();
        using var response = await client.CoreV1.GetAPIResourcesWithHttpMessagesAsync(cancellationToken: cancellationToken);
        var after = clock.GetUtcNow();
        if (response.Response.Headers.Date is not { } server)
        {
            return [];
        }

        // The Date header has whole seconds: compare with the middle of the request, half a second later.
        var local = before + ((after - before) / 2);
        var skew = server + TimeSpan.FromMilliseconds(500) - local;
        if (skew.Duration() <= ClockTolerance)
        {
            return [];
        }

        var direction = skew > TimeSpan.Zero ? "ahead of" : "behind";
        return
        [
            new Finding(FindingCodes.ClockSkew, FindingSeverity.Error, new FindingObject("Cluster", null, "api-server"),
                $"The cluster's clock is {Duration(skew.Duration())} {direction} this machine's: certificates it issues {(skew > TimeSpan.Zero ? "are not yet valid here" : "look older here than they are")}.",
                [$"API server Date: {server.UtcDateTime.ToString("u", CultureInfo.InvariantCulture)}", $"this machine: {local.UtcDateTime.ToString("u", CultureInfo.InvariantCulture)}"],
                "Sync the clocks: a VM that slept (Colima, Rancher Desktop, WSL, Docker Desktop) keeps its old time; restart it (colima restart) or sync it (e.g. 'sudo hwclock -s' inside it), and keep NTP on here (timedatectl set-ntp true)."),
        ];
    }

    // ---- cert-manager ---------------------------------------------------------------------------------------------

    private async Task<Finding?> CertManagerAsync(CancellationToken cancellationToken)
    {
        var problem = await ClusterTarget.CertManagerProblemAsync(client, cancellationToken);
        if (problem is null)
        {
            return null;
        }

        var evidence = problem.Replace("Waiting for cert-manager: ", "", StringComparison.Ordinal);
        if (problem.Contains("not installed", StringComparison.Ordinal) || problem.Contains("not Established", StringComparison.Ordinal))
        {
            var crd = CrdName().Match(problem) is { Success: true } m ? m.Groups[1].Value : "certificates.cert-manager.io";
            return new Finding(FindingCodes.CertManagerMissing, FindingSeverity.Error, new FindingObject("CustomResourceDefinition", null, crd),
                "cert-manager is not installed (or its CRDs are not Established): no issuer or certificate can work.",
                [evidence], $"Install it: {ClusterTarget.InstallCertManager}");
        }

        return new Finding(FindingCodes.CertManagerWebhookNotReady, FindingSeverity.Error, new FindingObject("Deployment", "cert-manager", "cert-manager-webhook"),
            "cert-manager's webhook does not answer: issuers and certificates cannot be created or changed.",
            [evidence, await WebhookDeploymentAsync(cancellationToken)],
            "Check its pods: 'kubectl -n cert-manager get pods' and 'kubectl -n cert-manager logs deploy/cert-manager-webhook'. Just after installing, wait a minute for its CA bundle to be injected.");
    }

    private async Task<string> WebhookDeploymentAsync(CancellationToken cancellationToken)
    {
        try
        {
            var webhook = await client.AppsV1.ReadNamespacedDeploymentAsync("cert-manager-webhook", "cert-manager", cancellationToken: cancellationToken);
            return $"Deployment cert-manager/cert-manager-webhook: {webhook.Status?.ReadyReplicas ?? 0}/{webhook.Spec?.Replicas ?? 1} ready";
        }
        catch (HttpOperationException ex) when (ex.Response.StatusCode == HttpStatusCode.NotFound)
        {
            return "Deployment cert-manager/cert-manager-webhook: not found (installed under another name, or not at all)";
        }
    }

    [GeneratedRegex(@"CRD (\S+\.cert-manager\.io)")]
    private static partial Regex CrdName();

    // ---- step-ca --------------------------------------------------------------------------------------------------

    private async Task<List<StepCaRef>> StepCasAsync(DiagnosisScope scope, IReadOnlyList<JsonObject> issuers, CancellationToken cancellationToken)
    {
        var cas = new List<StepCaRef>();
        if (scope.StepCa is { } only)
        {
            cas.Add(new StepCaRef(only.Namespace, only.Service, null));
        }
        else if (scope.IsWholeCluster)
        {
            var labelled = await client.AppsV1.ListDeploymentForAllNamespacesAsync(labelSelector: "app.kubernetes.io/name=step-ca,app.kubernetes.io/managed-by=localtls", cancellationToken: cancellationToken);
            cas.AddRange(labelled.Items.Select(d => new StepCaRef(d.Metadata.NamespaceProperty, d.Metadata.Name, null)));
        }

        foreach (var issuer in issuers)
        {
            if (StepCaOf(issuer) is { } ca && !cas.Any(c => c.Namespace == ca.Namespace && c.Service == ca.Service))
            {
                cas.Add(ca);
            }
        }

        return cas;
    }

    /// <summary>The in-cluster ACME server of an issuer, from <c>https://{service}.{namespace}.svc[.cluster.local]:{port}/…</c>.</summary>
    private static StepCaRef? StepCaOf(JsonObject issuer)
    {
        if (!Uri.TryCreate((string?)issuer["spec"]?["acme"]?["server"], UriKind.Absolute, out var server))
        {
            return null;
        }

        var labels = server.Host.Split('.');
        return labels.Length >= 3 && labels[2] == "svc" ? new StepCaRef(labels[1], labels[0], server.Port) : null;
    }

    private async Task<(List<Finding> Findings, IReadOnlyList<X509Certificate2>? Roots)> StepCaAsync(StepCaRef ca, CancellationToken cancellationToken)
    {
        var findings = new List<Finding>();
        var subject = new FindingObject("Service", ca.Namespace, ca.Service);
        V1Service service;
        try
        {
            service = await client.CoreV1.ReadNamespacedServiceAsync(ca.Service, ca.Namespace, cancellationToken: cancellationToken);
        }
        catch (HttpOperationException ex) when (ex.Response.StatusCode == HttpStatusCode.NotFound)
        {
            findings.Add(new Finding(FindingCodes.StepCaUnreachable, FindingSeverity.Error, subject,
                $"step-ca's Service {ca.Namespace}/{ca.Service} does not exist.",
                [$"services \"{ca.Service}\" not found in namespace {ca.Namespace}"],
                "Run the AppHost (dotnet run) so LocalTls applies step-ca into the cluster, or apply the published manifests (kubectl apply --server-side -f manifests.yaml)."));
            return (findings, null);
        }

        var port = ca.Port ?? service.Spec?.Ports?.FirstOrDefault()?.Port ?? 9000;
        var crashing = await CrashingPodsAsync(ca, service, cancellationToken);
        findings.AddRange(crashing);

        string? unhealthy = null;
        try
        {
            var body = await ProxyGetAsync(ca.Namespace, $"https:{ca.Service}:{port}", "health", cancellationToken);
            unhealthy = body.Contains("\"ok\"", StringComparison.Ordinal) ? null : $"/health answered {body.Trim()}";
        }
        catch (HttpOperationException ex)
        {
            unhealthy = $"/health through the service proxy answered {(int)ex.Response.StatusCode}: {Shorten(ex.Response.Content)}";
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            unhealthy = $"/health through the service proxy did not answer within {ProxyTimeout.TotalSeconds:0} s";
        }

        if (unhealthy is not null)
        {
            if (crashing.Count == 0)
            {
                findings.Add(new Finding(FindingCodes.StepCaUnreachable, FindingSeverity.Error, subject,
                    $"step-ca is not reachable inside the cluster at https://{ca.Service}.{ca.Namespace}.svc:{port}.",
                    [unhealthy, .. await PodStatesAsync(ca, service, cancellationToken)],
                    $"Check its pod: 'kubectl -n {ca.Namespace} get pods,endpoints' and 'kubectl -n {ca.Namespace} logs deploy/{ca.Service}'. A Service without endpoints means no pod is Ready."));
            }

            return (findings, null);
        }

        return (findings, await ServedRootsAsync(ca.Namespace, ca.Service, port, cancellationToken));
    }

    private async Task<List<V1Pod>> PodsAsync(StepCaRef ca, V1Service service, CancellationToken cancellationToken)
    {
        var selector = service.Spec?.Selector is { Count: > 0 } s ? string.Join(",", s.Select(p => $"{p.Key}={p.Value}")) : $"app.kubernetes.io/instance={ca.Service}";
        return [.. (await client.CoreV1.ListNamespacedPodAsync(ca.Namespace, labelSelector: selector, cancellationToken: cancellationToken)).Items];
    }

    private async Task<IEnumerable<string>> PodStatesAsync(StepCaRef ca, V1Service service, CancellationToken cancellationToken)
    {
        var pods = await PodsAsync(ca, service, cancellationToken);
        return pods.Count == 0
            ? ["no pod matches the Service's selector"]
            : pods.Select(p => $"Pod {p.Metadata.Name}: {p.Status?.Phase ?? "unknown"}, ready {p.Status?.ContainerStatuses?.All(c => c.Ready) == true}" +
                string.Concat((p.Status?.ContainerStatuses ?? []).Where(c => c.State?.Waiting is not null).Select(c => $", container {c.Name} waiting ({c.State.Waiting.Reason}{(string.IsNullOrEmpty(c.State.Waiting.Message) ? "" : ": " + c.State.Waiting.Message)})")));
    }

    private async Task<List<Finding>> CrashingPodsAsync(StepCaRef ca, V1Service service, CancellationToken cancellationToken)
    {
        var findings = new List<Finding>();
        foreach (var pod in await PodsAsync(ca, service, cancellationToken))
        {
            foreach (var container in pod.Status?.ContainerStatuses ?? [])
            {
                var waiting = container.State?.Waiting;
                var terminated = container.State?.Terminated ?? container.LastState?.Terminated;
                var crashing = waiting?.Reason is "CrashLoopBackOff" or "Error"
                    || container.State?.Terminated is { ExitCode: not 0 }
                    || (container.RestartCount > 0 && !container.Ready);
                if (!crashing)
                {
                    continue;
                }

                var state = waiting is not null ? $"waiting ({waiting.Reason})" : container.State?.Terminated is not null ? "terminated" : "not ready";
                var evidence = new List<string>
                {
                    $"Pod {pod.Metadata.Name} container {container.Name}: {state}, restarts {container.RestartCount}" +
                    (terminated is null ? "" : $", last exit code {terminated.ExitCode} ({terminated.Reason}{(string.IsNullOrEmpty(terminated.Message) ? "" : ": " + terminated.Message)})"),
                };
                evidence.AddRange((await LastLogLinesAsync(pod, container, cancellationToken)).Select(l => $"log: {l}"));
                findings.Add(new Finding(FindingCodes.StepCaCrashLooping, FindingSeverity.Error, new FindingObject("Pod", ca.Namespace, pod.Metadata.Name),
                    $"step-ca's pod keeps exiting{(container.RestartCount > 0 ? $" ({container.RestartCount} restarts)" : "")}: the CA is down.",
                    evidence,
                    $"Read its last log lines above (all: 'kubectl -n {ca.Namespace} logs {pod.Metadata.Name} --previous'). A broken ca.json or a wrong key password is the usual cause: run the AppHost again so LocalTls re-applies its configuration (ConfigMap {ca.Service}-config, Secret {ca.Service}-secrets)."));
            }
        }

        return findings;
    }

    private async Task<List<string>> LastLogLinesAsync(V1Pod pod, V1ContainerStatus container, CancellationToken cancellationToken)
    {
        // A restarted container's own failure is in the previous instance's log.
        foreach (var previous in container.RestartCount > 0 ? new bool?[] { true, null } : [null])
        {
            try
            {
                using var stream = await client.CoreV1.ReadNamespacedPodLogAsync(pod.Metadata.Name, pod.Metadata.NamespaceProperty, container: container.Name, tailLines: 10, previous: previous, cancellationToken: cancellationToken);
                using var reader = new StreamReader(stream, Encoding.UTF8);
                var text = await reader.ReadToEndAsync(cancellationToken);
                var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).TakeLast(10).ToList();
                if (lines.Count > 0)
                {
                    return lines;
                }
            }
            catch (HttpOperationException)
            {
            }
        }

        return [];
    }

    /// <summary>A step-ca that accepts connections but never answers must not hold the whole diagnosis.</summary>
    internal static TimeSpan ProxyTimeout { get; set; } = TimeSpan.FromSeconds(10);

    private async Task<string> ProxyGetAsync(string ns, string service, string path, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(ProxyTimeout);
        using var stream = await client.CoreV1.ConnectGetNamespacedServiceProxyWithPathAsync(service, ns, path, cancellationToken: timeout.Token);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return await reader.ReadToEndAsync(timeout.Token);
    }

    /// <summary>The roots step-ca serves: <c>/roots</c> (JSON, every version), else <c>/roots.pem</c>.</summary>
    private async Task<IReadOnlyList<X509Certificate2>?> ServedRootsAsync(string ns, string service, int port, CancellationToken cancellationToken)
    {
        try
        {
            var body = await ProxyGetAsync(ns, $"https:{service}:{port}", "roots", cancellationToken);
            var pems = (JsonNode.Parse(body)?["crts"] as JsonArray)?.Select(c => (string?)c).OfType<string>().ToList() ?? [];
            if (pems.Count > 0)
            {
                return [.. pems.SelectMany(ParsePem)];
            }
        }
        catch (Exception ex) when (ex is HttpOperationException or System.Text.Json.JsonException || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
        }

        try
        {
            var pem = await ProxyGetAsync(ns, $"https:{service}:{port}", "roots.pem", cancellationToken);
            var roots = ParsePem(pem).ToList();
            return roots.Count > 0 ? roots : null;
        }
        catch (Exception ex) when (ex is HttpOperationException || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            return null;
        }
    }

    private static IEnumerable<X509Certificate2> ParsePem(string pem)
    {
        var collection = new X509Certificate2Collection();
        try
        {
            collection.ImportFromPem(pem);
        }
        catch (CryptographicException)
        {
        }

        return collection;
    }

    private static string Fingerprint(X509Certificate2 certificate) => Convert.ToHexStringLower(SHA256.HashData(certificate.RawData));

    // ---- issuers --------------------------------------------------------------------------------------------------

    private async Task<List<JsonObject>> IssuersAsync(DiagnosisScope scope, IReadOnlyList<JsonObject> certificates, CancellationToken cancellationToken)
    {
        var issuers = new List<JsonObject>();
        if (scope.IsWholeCluster)
        {
            issuers.AddRange(await ListAsync("cert-manager.io", "v1", "clusterissuers", null, cancellationToken));
            issuers.AddRange(await ListInScopeAsync("issuers", scope, cancellationToken));
        }
        else if (scope.Issuer is { } only)
        {
            if (await GetIssuerAsync(only.Kind, only.Namespace, only.Name, cancellationToken) is { } found)
            {
                issuers.Add(found);
            }
        }

        foreach (var certificate in certificates.Where(_ => !scope.IsWholeCluster))
        {
            var kind = (string?)certificate["spec"]?["issuerRef"]?["kind"] ?? "Issuer";
            var name = (string?)certificate["spec"]?["issuerRef"]?["name"];
            if (name is not null && await GetIssuerAsync(kind, kind == "ClusterIssuer" ? null : Namespace(certificate), name, cancellationToken) is { } issuer)
            {
                issuers.Add(issuer);
            }
        }

        return issuers;
    }

    private async Task<JsonObject?> GetIssuerAsync(string kind, string? ns, string name, CancellationToken cancellationToken)
    {
        try
        {
            var found = kind == "ClusterIssuer"
                ? await client.CustomObjects.GetClusterCustomObjectAsync("cert-manager.io", "v1", "clusterissuers", name, cancellationToken)
                : await client.CustomObjects.GetNamespacedCustomObjectAsync("cert-manager.io", "v1", ns ?? "default", "issuers", name, cancellationToken);
            return JsonNode.Parse(KubernetesJson.Serialize(found)) as JsonObject;
        }
        catch (HttpOperationException ex) when (ex.Response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    private IEnumerable<Finding> Issuer(JsonObject issuer, Dictionary<(string, string), IReadOnlyList<X509Certificate2>?> roots, IReadOnlyList<string> classes)
    {
        var kind = (string?)issuer["kind"] ?? "ClusterIssuer";
        var subject = new FindingObject(kind, kind == "ClusterIssuer" ? null : Namespace(issuer), Name(issuer));
        var describe = subject.Namespace is null ? $"kubectl describe clusterissuer {subject.Name}" : $"kubectl -n {subject.Namespace} describe issuer {subject.Name}";
        var ready = Condition(issuer, "Ready");
        if ((string?)ready?["status"] != "True")
        {
            var reason = (string?)ready?["reason"];
            var message = (string?)ready?["message"];
            var tls = message is not null && (message.Contains("x509", StringComparison.OrdinalIgnoreCase) || message.Contains("not trusted", StringComparison.OrdinalIgnoreCase));
            // No condition yet is cert-manager not having got to it (or not running): worth a look, not yet a failure.
            yield return new Finding(FindingCodes.IssuerNotReady, ready is null ? FindingSeverity.Warning : FindingSeverity.Error, subject,
                ready is null ? $"{subject} has no Ready condition yet: cert-manager has not registered it." : $"{subject} is not Ready: {reason}.",
                [ready is null ? "no Ready condition" : $"condition Ready={(string?)ready["status"]} {reason}: {message}"],
                ready is null
                    ? "Is cert-manager's controller running? 'kubectl -n cert-manager get pods' and 'kubectl -n cert-manager logs deploy/cert-manager'."
                    : tls
                        ? $"The ACME server's TLS certificate is not trusted with spec.acme.caBundle: set it to the root step-ca serves ('localtls ca show --format ca-bundle', or run the AppHost again so LocalTls applies it). cert-manager retries by itself; '{describe}' shows the next attempt."
                        : $"Fix what the message says; cert-manager retries by itself (back-off up to 5 min). '{describe}' shows its events.");
        }

        if (StepCaOf(issuer) is { } ca && roots.TryGetValue((ca.Namespace, ca.Service), out var served) && served is { Count: > 0 })
        {
            var bundle = (string?)issuer["spec"]?["acme"]?["caBundle"];
            var trusted = bundle is null ? [] : ParsePem(DecodeBase64(bundle)).ToList();
            var servedPrints = served.Select(Fingerprint).ToHashSet(StringComparer.Ordinal);
            if (!trusted.Any(t => servedPrints.Contains(Fingerprint(t))))
            {
                yield return new Finding(FindingCodes.IssuerCaBundleMismatch, FindingSeverity.Error, subject,
                    $"{subject}'s caBundle does not hold the root step-ca {ca.Namespace}/{ca.Service} serves: cert-manager cannot trust it.",
                    [
                        $"spec.acme.caBundle: {(trusted.Count == 0 ? "none" : string.Join(", ", trusted.Select(t => $"{t.Subject} sha256:{Fingerprint(t)}")))}",
                        $"step-ca /roots: {string.Join(", ", served.Select(r => $"{r.Subject} sha256:{Fingerprint(r)}"))}",
                    ],
                    "Set spec.acme.caBundle to the served root: run the AppHost again (LocalTls applies the CA store's root), or " +
                    $"kubectl patch {(subject.Namespace is null ? "clusterissuer" : $"-n {subject.Namespace} issuer")} {subject.Name} --type merge -p \"{{\\\"spec\\\":{{\\\"acme\\\":{{\\\"caBundle\\\":\\\"$(localtls ca show --format ca-bundle)\\\"}}}}}}\". " +
                    "If step-ca was re-created with a new CA, the CA store and the cluster disagree: keep one (WithCaStore) for both.");
            }
        }

        foreach (var solver in (issuer["spec"]?["acme"]?["solvers"] as JsonArray ?? []).OfType<JsonObject>())
        {
            if (solver["http01"]?["ingress"] is not JsonObject ingress)
            {
                continue;
            }

            var name = (string?)ingress["ingressClassName"] ?? (string?)ingress["class"];
            if (name is null ? classes.Count == 0 : !classes.Contains(name, StringComparer.Ordinal))
            {
                yield return new Finding(FindingCodes.IngressClassMissing, FindingSeverity.Error, subject,
                    name is null ? $"{subject} solves HTTP-01 through the default ingress, and the cluster has no IngressClass." : $"{subject}'s HTTP-01 solver uses IngressClass '{name}', which the cluster does not have.",
                    [$"IngressClasses: {(classes.Count == 0 ? "none" : string.Join(", ", classes))}"],
                    classes.Count == 0
                        ? "Install an ingress controller (k3s ships Traefik unless started with --disable traefik: 'helm install traefik traefik/traefik -n kube-system')."
                        : $"Use one the cluster has: WithIngressClass(\"{classes[0]}\") on the cluster (or the issuer's solver), then run the AppHost again.");
                yield break;
            }
        }
    }

    // ---- certificates ---------------------------------------------------------------------------------------------

    private async Task<List<JsonObject>> CertificatesAsync(DiagnosisScope scope, CancellationToken cancellationToken)
    {
        if (scope.Certificate is { } only)
        {
            try
            {
                var found = await client.CustomObjects.GetNamespacedCustomObjectAsync("cert-manager.io", "v1", only.Namespace, "certificates", only.Name, cancellationToken);
                return JsonNode.Parse(KubernetesJson.Serialize(found)) is JsonObject obj ? [obj] : [];
            }
            catch (HttpOperationException ex) when (ex.Response.StatusCode == HttpStatusCode.NotFound)
            {
                return [];
            }
        }

        return scope.IsWholeCluster ? await ListInScopeAsync("certificates", scope, cancellationToken) : [];
    }

    private async Task<List<Finding>> CertificateAsync(JsonObject certificate, CancellationToken cancellationToken)
    {
        var findings = new List<Finding>();
        var ns = Namespace(certificate);
        var name = Name(certificate);
        var subject = new FindingObject("Certificate", ns, name);
        var status = certificate["status"];
        var ready = Condition(certificate, "Ready");
        var issuing = Condition(certificate, "Issuing");
        var now = clock.GetUtcNow();
        if ((string?)ready?["status"] == "True")
        {
            if (ParseTime((string?)status?["notBefore"]) is { } notBefore && notBefore > now)
            {
                findings.Add(new Finding(FindingCodes.CertificateNotYetValid, FindingSeverity.Error, subject,
                    $"{subject} is not valid yet on this machine: it starts {Duration(notBefore - now)} from now.",
                    [$"status.notBefore: {(string?)status?["notBefore"]}", $"this machine: {now.UtcDateTime.ToString("u", CultureInfo.InvariantCulture)}"],
                    "The cluster's clock runs ahead of this machine's: sync them (restart the cluster's VM, 'timedatectl set-ntp true' here), then Renew the certificate."));
            }

            return findings;
        }

        var (chain, challenges, involved) = await ChainAsync(ns, name, cancellationToken);
        var events = await EventsAsync(ns, involved, cancellationToken);
        var failures = (int?)status?["failedIssuanceAttempts"];
        var lastFailure = ParseTime((string?)status?["lastFailureTime"]);
        var conditions = (certificate["status"]?["conditions"] as JsonArray ?? []).OfType<JsonObject>()
            .Select(c => $"condition {(string?)c["type"]}={(string?)c["status"]} {(string?)c["reason"]}: {(string?)c["message"]}").ToList();
        if (conditions.Count == 0)
        {
            conditions.Add("no conditions yet");
        }
        if (lastFailure is { } failed && (string?)issuing?["status"] != "True")
        {
            var next = CertManagerBackoff.NextAttempt(failed, failures);
            var wait = next > now ? $"cert-manager tries again by itself at {next.UtcDateTime.ToString("u", CultureInfo.InvariantCulture)} (in {Duration(next - now)}; 1h·2^(n-1) after the last failure, at most 32 h)" : "cert-manager's back-off is over: it tries again on its next sync";
            findings.Add(new Finding(FindingCodes.CertificateFailing, FindingSeverity.Error, subject,
                $"{subject} failed to issue ({failures ?? 1} failed attempt{((failures ?? 1) == 1 ? "" : "s")}, the last at {failed.UtcDateTime.ToString("u", CultureInfo.InvariantCulture)}).",
                [.. conditions, .. chain, .. events, wait],
                $"Fix the failing step above, then Renew it (the dashboard's Renew, or 'cmctl renew -n {ns} {name}') instead of waiting for the back-off."));
        }
        else if ((string?)issuing?["status"] == "True")
        {
            findings.Add(new Finding(FindingCodes.CertificateIssuing, FindingSeverity.Info, subject,
                $"{subject} is being issued.", [.. conditions, .. chain, .. events],
                "Nothing to do unless it stays so: a Challenge that stays pending points at the solver (see other findings)."));
        }
        else
        {
            findings.Add(new Finding(FindingCodes.CertificateNotReady, FindingSeverity.Warning, subject,
                $"{subject} is not Ready: {(string?)ready?["reason"] ?? "no Ready condition"}.", [.. conditions, .. chain, .. events],
                $"'kubectl -n {ns} describe certificate {name}' and its issuer's state tell why; Renew once the cause is fixed."));
        }

        foreach (var challenge in challenges)
        {
            findings.AddRange(await SolverIngressAsync(challenge, cancellationToken));
        }

        return findings;
    }

    /// <summary>The newest CertificateRequest, its Order and Challenges as cmctl status certificate finds them, one evidence line each.</summary>
    private async Task<(List<string> Chain, List<JsonObject> Challenges, List<(string Kind, string Name)> Involved)> ChainAsync(string ns, string certificate, CancellationToken cancellationToken)
    {
        var lines = new List<string>();
        var involved = new List<(string, string)> { ("Certificate", certificate) };
        var request = (await ListAsync("cert-manager.io", "v1", "certificaterequests", ns, cancellationToken))
            .Where(r => (string?)r["metadata"]?["annotations"]?["cert-manager.io/certificate-name"] == certificate)
            .OrderByDescending(r => int.TryParse((string?)r["metadata"]?["annotations"]?["cert-manager.io/certificate-revision"], out var n) ? n : 0)
            .FirstOrDefault();
        if (request is null)
        {
            return (lines, [], involved);
        }

        var requestReady = Condition(request, "Ready");
        lines.Add($"CertificateRequest {Name(request)}: {(string?)requestReady?["reason"] ?? "pending"}{((string?)requestReady?["message"] is { Length: > 0 } m ? $" ({m})" : "")}");
        involved.Add(("CertificateRequest", Name(request)));
        var order = (await ListAsync("acme.cert-manager.io", "v1", "orders", ns, cancellationToken)).FirstOrDefault(o => OwnedBy(o, request));
        if (order is null)
        {
            return (lines, [], involved);
        }

        lines.Add($"Order {Name(order)}: {(string?)order["status"]?["state"] ?? "pending"}{Reason(order)}");
        involved.Add(("Order", Name(order)));
        var challenges = (await ListAsync("acme.cert-manager.io", "v1", "challenges", ns, cancellationToken)).Where(c => OwnedBy(c, order)).ToList();
        foreach (var challenge in challenges)
        {
            lines.Add($"Challenge {Name(challenge)} ({(string?)challenge["spec"]?["type"]} {(string?)challenge["spec"]?["dnsName"]}): {(string?)challenge["status"]?["state"] ?? "pending"}{Reason(challenge)}");
            involved.Add(("Challenge", Name(challenge)));
        }

        return (lines, challenges, involved);
    }

    private async Task<List<string>> EventsAsync(string ns, List<(string Kind, string Name)> involved, CancellationToken cancellationToken)
    {
        var events = (await client.CoreV1.ListNamespacedEventAsync(ns, cancellationToken: cancellationToken)).Items;
        return [.. events
            .Where(e => involved.Contains((e.InvolvedObject?.Kind ?? "", e.InvolvedObject?.Name ?? "")))
            .OrderBy(e => e.LastTimestamp ?? e.EventTime ?? e.Metadata.CreationTimestamp)
            .TakeLast(5)
            .Select(e => $"event {e.Type} {e.Reason} ({e.InvolvedObject.Kind} {e.InvolvedObject.Name}): {e.Message}")];
    }

    private async Task<IEnumerable<Finding>> SolverIngressAsync(JsonObject challenge, CancellationToken cancellationToken)
    {
        var state = (string?)challenge["status"]?["state"];
        var http01 = challenge["spec"]?["solver"]?["http01"];
        if (http01 is null || state is not (null or "" or "pending"))
        {
            return [];
        }

        var ns = Namespace(challenge);
        var dnsName = (string?)challenge["spec"]?["dnsName"];
        var subject = new FindingObject("Challenge", ns, Name(challenge));
        var ingresses = (await client.NetworkingV1.ListNamespacedIngressAsync(ns, labelSelector: "acme.cert-manager.io/http01-solver=true", cancellationToken: cancellationToken)).Items;
        var uid = (string?)challenge["metadata"]?["uid"];
        var solver = ingresses.FirstOrDefault(i => i.Metadata.OwnerReferences?.Any(o => o.Uid == uid) == true)
            ?? ingresses.FirstOrDefault(i => i.Spec?.Rules?.Any(r => string.Equals(r.Host, dnsName, StringComparison.OrdinalIgnoreCase)) == true);
        var pending = $"Challenge {Name(challenge)} (HTTP-01 {dnsName}): pending{Reason(challenge)}";
        if (solver is null)
        {
            return
            [
                new Finding(FindingCodes.SolverIngressMissing, FindingSeverity.Error, subject,
                    $"The HTTP-01 solver Ingress for {dnsName} is missing while its Challenge is pending: step-ca cannot fetch the token.",
                    [pending, $"no Ingress labelled acme.cert-manager.io/http01-solver=true for {dnsName} in {ns}"],
                    $"cert-manager creates it (cm-acme-http-solver-…) and owns it: something deleted it (a GitOps prune, a policy). Check 'kubectl -n cert-manager logs deploy/cert-manager'; deleting the Challenge ('kubectl -n {ns} delete challenge {Name(challenge)}') makes cert-manager create both again."),
            ];
        }

        if (solver.Status?.LoadBalancer?.Ingress is not { Count: > 0 })
        {
            var className = solver.Spec?.IngressClassName ?? (string?)http01["ingress"]?["ingressClassName"] ?? "the default";
            return
            [
                new Finding(FindingCodes.SolverIngressNoAddress, FindingSeverity.Warning, subject,
                    $"The HTTP-01 solver Ingress {solver.Metadata.Name} for {dnsName} has no address: no ingress controller serves it.",
                    [pending, $"Ingress {ns}/{solver.Metadata.Name} (class {className}): status.loadBalancer.ingress empty"],
                    $"Check that the controller of IngressClass {className} runs ('kubectl get ingressclass', 'kubectl -n kube-system get pods'); on k3s, Traefik's svclb pods must be Running."),
            ];
        }

        return [];
    }

    // ---- CoreDNS --------------------------------------------------------------------------------------------------

    private async Task<IEnumerable<Finding>> CoreDnsOverrideAsync(IReadOnlyList<JsonObject> certificates, CancellationToken cancellationToken)
    {
        var loopback = certificates
            .Select(c => (Certificate: c, Names: (c["spec"]?["dnsNames"] as JsonArray ?? []).Select(n => (string?)n).OfType<string>()
                .Where(n => SslipHostname.TryParse(n, allowWildcard: true, zones: null, out var host, out _) && IPAddress.IsLoopback(host.Address)).ToList()))
            .Where(c => c.Names.Count > 0)
            .ToList();
        if (loopback.Count == 0)
        {
            return [];
        }

        string evidence;
        try
        {
            var map = await client.CoreV1.ReadNamespacedConfigMapAsync(CoreDnsNames.ConfigMap, CoreDnsNames.Namespace, cancellationToken: cancellationToken);
            if (map.Data?.ContainsKey(CoreDnsNames.Key) == true)
            {
                return [];
            }

            evidence = $"ConfigMap {CoreDnsNames.Namespace}/{CoreDnsNames.ConfigMap} has no key {CoreDnsNames.Key} (keys: {(map.Data is { Count: > 0 } d ? string.Join(", ", d.Keys.Order(StringComparer.Ordinal)) : "none")})";
        }
        catch (HttpOperationException ex) when (ex.Response.StatusCode == HttpStatusCode.NotFound)
        {
            evidence = $"ConfigMap {CoreDnsNames.Namespace}/{CoreDnsNames.ConfigMap} does not exist";
        }

        return loopback.Select(c => new Finding(FindingCodes.CoreDnsOverrideMissing, FindingSeverity.Warning, new FindingObject("Certificate", Namespace(c.Certificate), Name(c.Certificate)),
            $"{string.Join(", ", c.Names)} carr{(c.Names.Count == 1 ? "ies" : "y")} a loopback address, and the cluster's DNS has no LocalTls override: inside the cluster the name resolves to the pod itself, so step-ca's HTTP-01 fetch and cert-manager's self-check miss the ingress.",
            [evidence],
            $"Run the AppHost against this cluster: on k3s LocalTls writes key {CoreDnsNames.Key} into {CoreDnsNames.Namespace}/{CoreDnsNames.ConfigMap}. Elsewhere, name the certificate with the ingress address instead (e.g. app.192.168.5.2.sslip.io)."));
    }

    // ---- helpers --------------------------------------------------------------------------------------------------

    private async Task<List<JsonObject>> ListInScopeAsync(string plural, DiagnosisScope scope, CancellationToken cancellationToken)
    {
        if (scope.Namespaces.Count == 0)
        {
            return await ListAsync("cert-manager.io", "v1", plural, null, cancellationToken);
        }

        var all = new List<JsonObject>();
        foreach (var ns in scope.Namespaces)
        {
            all.AddRange(await ListAsync("cert-manager.io", "v1", plural, ns, cancellationToken));
        }

        return all;
    }

    /// <summary>A custom resource list (all namespaces when <paramref name="ns"/> is null); empty when the kind is not served.</summary>
    private async Task<List<JsonObject>> ListAsync(string group, string version, string plural, string? ns, CancellationToken cancellationToken)
    {
        try
        {
            var result = ns is null
                ? await client.CustomObjects.ListClusterCustomObjectAsync(group, version, plural, cancellationToken: cancellationToken)
                : await client.CustomObjects.ListNamespacedCustomObjectAsync(group, version, ns, plural, cancellationToken: cancellationToken);
            return [.. (JsonNode.Parse(KubernetesJson.Serialize(result))?["items"] as JsonArray ?? []).OfType<JsonObject>()];
        }
        catch (HttpOperationException ex) when (ex.Response.StatusCode == HttpStatusCode.NotFound)
        {
            return [];
        }
    }

    private static bool OwnedBy(JsonObject obj, JsonObject owner) =>
        (obj["metadata"]?["ownerReferences"] as JsonArray)?.OfType<JsonObject>().Any(r => (string?)r["uid"] == (string?)owner["metadata"]?["uid"]) == true
        || Name(obj).StartsWith(Name(owner) + "-", StringComparison.Ordinal);

    private static string Name(JsonObject obj) => (string?)obj["metadata"]?["name"] ?? "";

    private static string Namespace(JsonObject obj) => (string?)obj["metadata"]?["namespace"] ?? "";

    private static JsonObject? Condition(JsonObject obj, string type) =>
        (obj["status"]?["conditions"] as JsonArray)?.OfType<JsonObject>().FirstOrDefault(c => (string?)c["type"] == type);

    private static string Reason(JsonObject obj) => (string?)obj["status"]?["reason"] is { Length: > 0 } reason ? $" ({reason})" : "";

    private static DateTimeOffset? ParseTime(string? text) =>
        DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t) ? t : null;

    private static string DecodeBase64(string text)
    {
        try
        {
            return Encoding.ASCII.GetString(Convert.FromBase64String(text));
        }
        catch (FormatException)
        {
            return "";
        }
    }

    private static string Shorten(string? text) => text is null ? "" : text.Length > 300 ? text[..300] + "…" : text;

    internal static string Duration(TimeSpan span) =>
        span.TotalHours >= 1 ? $"{(int)span.TotalHours} h {span.Minutes} min"
        : span.TotalMinutes >= 1 ? $"{(int)span.TotalMinutes} min {span.Seconds} s"
        : $"{(int)span.TotalSeconds} s";
}
