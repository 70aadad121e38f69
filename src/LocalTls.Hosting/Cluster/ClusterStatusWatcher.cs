using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using Aspire.Hosting.ApplicationModel;
using k8s;
using k8s.Autorest;
using Microsoft.Extensions.Logging;

namespace LocalTls.Cluster;

/// <summary>
/// Shows cert-manager's own status on the dashboard, by watch: an issuer's Ready condition (reason and message), a
/// certificate's Ready/Issuing, expiry, renewal time, revision and failures. A dropped watch resumes from the last
/// resourceVersion; 410 Gone lists again.
/// </summary>
internal sealed class ClusterStatusWatcher(IKubernetes client, ResourceNotificationService notifications, ILogger logger)
{
    public Task WatchIssuersAsync(IReadOnlyList<AcmeIssuerResource> issuers, CancellationToken stopping)
    {
        var cluster = issuers.Where(i => i.Kind == CertManagerIssuerKind.ClusterIssuer).ToDictionary(i => i.Name);
        var namespaced = issuers.Where(i => i.Kind == CertManagerIssuerKind.Issuer).ToDictionary(i => (i.Namespace!, i.Name));
        return Task.WhenAll(
            cluster.Count == 0 ? Task.CompletedTask : WatchAsync("/apis/cert-manager.io/v1/clusterissuers", obj => cluster.GetValueOrDefault(Name(obj)), PublishIssuerAsync, stopping),
            namespaced.Count == 0 ? Task.CompletedTask : WatchAsync("/apis/cert-manager.io/v1/issuers", obj => namespaced.GetValueOrDefault((Namespace(obj), Name(obj))), PublishIssuerAsync, stopping));
    }

    public Task WatchCertificatesAsync(IReadOnlyList<CertificateResource> certificates, CancellationToken stopping)
    {
        var byName = certificates.ToDictionary(c => (c.Namespace, c.Name));
        return byName.Count == 0
            ? Task.CompletedTask
            : Task.WhenAll(
                WatchAsync("/apis/cert-manager.io/v1/certificates", obj => byName.GetValueOrDefault((Namespace(obj), Name(obj))), PublishCertificateAsync, stopping),
                RefreshTimesAsync(certificates, stopping));
    }

    private static string Name(JsonObject obj) => (string?)obj["metadata"]?["name"] ?? "";

    private static string Namespace(JsonObject obj) => (string?)obj["metadata"]?["namespace"] ?? "";

    /// <summary>The state of a certificate still valid whose renewal failed (as in host mode).</summary>
    public const string RenewalFailing = "Renewal failing";

    private static JsonObject? Condition(JsonObject obj, string type) =>
        (obj["status"]?["conditions"] as JsonArray)?.OfType<JsonObject>().FirstOrDefault(c => (string?)c["type"] == type);

    private Task PublishIssuerAsync(AcmeIssuerResource issuer, JsonObject obj)
    {
        var ready = Condition(obj, "Ready");
        var isReady = (string?)ready?["status"] == "True";
        var reason = (string?)ready?["reason"];
        var message = (string?)ready?["message"];
        return notifications.PublishUpdateAsync(issuer, s => s with
        {
            State = ready is null
                ? new ResourceStateSnapshot("Pending", KnownResourceStateStyles.Info)
                : isReady ? new ResourceStateSnapshot(KnownResourceStates.Running, KnownResourceStateStyles.Success) : new ResourceStateSnapshot("Failed", KnownResourceStateStyles.Error),
            StartTimeStamp = isReady ? s.StartTimeStamp ?? DateTime.UtcNow : s.StartTimeStamp,
            Properties = s.Properties
                .With(LocalTlsProperties.Reason, reason)
                .With(LocalTlsProperties.Message, message)
                .With(LocalTlsProperties.AcmeAccount, (string?)obj["status"]?["acme"]?["uri"])
                .With(LocalTlsProperties.Problem, isReady || ready is null ? null : $"{reason}: {message}"),
        });
    }

    private async Task PublishCertificateAsync(CertificateResource certificate, JsonObject obj)
    {
        var chain = await IssuanceChainAsync(certificate);
        var ready = Condition(obj, "Ready");
        var issuing = Condition(obj, "Issuing");
        var status = obj["status"];
        var isReady = (string?)ready?["status"] == "True";
        var isIssuing = (string?)issuing?["status"] == "True";
        var failures = (long?)status?["failedIssuanceAttempts"];
        // cert-manager records a failed issuance on Issuing (False, Failed); Ready stays True while the old certificate is valid.
        var issuanceFailed = (string?)issuing?["status"] == "False" && (string?)issuing?["reason"] == "Failed";
        var state = isIssuing
            ? new ResourceStateSnapshot("Issuing", KnownResourceStateStyles.Info)
            : isReady && issuanceFailed ? new ResourceStateSnapshot(RenewalFailing, KnownResourceStateStyles.Warn)
            : isReady ? new ResourceStateSnapshot(KnownResourceStates.Running, KnownResourceStateStyles.Success)
            : ready is null && !issuanceFailed ? new ResourceStateSnapshot("Issuing", KnownResourceStateStyles.Info)
            : new ResourceStateSnapshot("Failed", KnownResourceStateStyles.Error);
        var condition = isIssuing || issuanceFailed ? issuing : ready;
        DateTime? notBefore = DateTime.TryParse((string?)status?["notBefore"], CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal, out var nb) ? nb : null;
        var served = (string?)status?["notAfter"] is null ? null : await ServedCertificateAsync(certificate, (string?)obj["spec"]?["secretName"] ?? certificate.SecretName);
        var names = (obj["spec"]?["dnsNames"] as JsonArray)?.Select(n => (string?)n).OfType<string>().ToList();
        await notifications.PublishUpdateAsync(certificate, s => s with
        {
            State = state,
            // The start time is when the certificate now served was issued: it moves on renewal.
            StartTimeStamp = served?.NotBefore ?? notBefore ?? s.StartTimeStamp,
            Properties = CertificateTimes.WithRelativeTimes(
                s.Properties
                    .With(LocalTlsProperties.DnsNames, names is { Count: > 0 } ? string.Join(", ", names) : null)
                    .With(LocalTlsProperties.NotAfter, (string?)status?["notAfter"])
                    .With(LocalTlsProperties.RenewalTime, (string?)status?["renewalTime"])
                    .With(LocalTlsProperties.Serial, served?.Serial)
                    .With(LocalTlsProperties.Revision, (long?)status?["revision"])
                    .With(LocalTlsProperties.FailedIssuanceAttempts, failures)
                    .With(LocalTlsProperties.LastFailureTime, (string?)status?["lastFailureTime"])
                    .With(LocalTlsProperties.Reason, (string?)condition?["reason"])
                    .With(LocalTlsProperties.Message, (string?)condition?["message"])
                    .With(LocalTlsProperties.Issuance, chain)
                    .With(LocalTlsProperties.Problem, state.Text is "Failed" || state.Text == RenewalFailing ? $"{(string?)condition?["reason"]}: {(string?)condition?["message"]}" : null),
                DateTime.UtcNow),
        });
    }

    /// <summary>
    /// The serial and notBefore of the certificate the Secret serves (what clients see), from its <c>tls.crt</c>
    /// only: <c>tls.key</c> comes with the Secret (the API cannot leave it out) but is never read or kept.
    /// </summary>
    private async Task<(string Serial, DateTime NotBefore)?> ServedCertificateAsync(CertificateResource certificate, string secretName)
    {
        try
        {
            var secret = await client.CoreV1.ReadNamespacedSecretAsync(secretName, certificate.Namespace);
            if (secret.Data?.TryGetValue("tls.crt", out var pem) != true || pem is null)
            {
                return null;
            }

            using var leaf = X509Certificate2.CreateFromPem(Encoding.ASCII.GetString(pem));
            return (CertificateSerial.OpenSslForm(leaf), leaf.NotBefore.ToUniversalTime());
        }
        catch (Exception ex) when (ex is HttpOperationException or HttpRequestException or CryptographicException or ArgumentException)
        {
            // Not written yet, not readable with these credentials, or not a PEM: the rest of the status still shows.
            logger.LogDebug("Could not read the certificate in Secret '{Secret}': {Message}", secretName, ex.Message);
            return null;
        }
    }

    /// <summary>Keeps "Expires", "Renews" and the next retry true as time passes (no watch event says an hour went by).</summary>
    private async Task RefreshTimesAsync(IReadOnlyList<CertificateResource> certificates, CancellationToken stopping)
    {
        using var timer = new PeriodicTimer(RefreshEvery);
        try
        {
            while (await timer.WaitForNextTickAsync(stopping))
            {
                foreach (var certificate in certificates)
                {
                    await notifications.PublishUpdateAsync(certificate, s => s with { Properties = CertificateTimes.WithRelativeTimes(s.Properties, DateTime.UtcNow) });
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private static readonly TimeSpan RefreshEvery = TimeSpan.FromSeconds(30);

    /// <summary>
    /// The newest CertificateRequest of the certificate, its Order and the Order's Challenges, with their states and
    /// reasons, found as <c>cmctl status certificate</c> finds them (the request's certificate-name annotation, then
    /// owner references).
    /// </summary>
    private async Task<string?> IssuanceChainAsync(CertificateResource certificate)
    {
        try
        {
            async Task<List<JsonObject>> ListAsync(string path) =>
                [.. (JsonNode.Parse(await KubernetesHttp.GetStringAsync(client, path, CancellationToken.None))?["items"] as JsonArray ?? []).OfType<JsonObject>()];
            static string? Uid(JsonObject o) => (string?)o["metadata"]?["uid"];
            // By owner reference, as cmctl finds them; else by cert-manager's naming ({owner}-{hash}).
            static bool OwnedBy(JsonObject o, JsonObject owner) =>
                (o["metadata"]?["ownerReferences"] as JsonArray)?.OfType<JsonObject>().Any(r => (string?)r["uid"] == Uid(owner)) == true
                || Name(o).StartsWith(Name(owner) + "-", StringComparison.Ordinal);

            var ns = certificate.Namespace;
            var request = (await ListAsync($"/apis/cert-manager.io/v1/namespaces/{ns}/certificaterequests"))
                .Where(r => (string?)r["metadata"]?["annotations"]?["cert-manager.io/certificate-name"] == certificate.Name)
                .OrderByDescending(r => int.TryParse((string?)r["metadata"]?["annotations"]?["cert-manager.io/certificate-revision"], out var n) ? n : 0)
                .FirstOrDefault();
            if (request is null)
            {
                return null;
            }

            var parts = new List<string>();
            var requestReady = Condition(request, "Ready");
            parts.Add($"CertificateRequest {Name(request)}: {(string?)requestReady?["reason"] ?? "pending"}");
            var order = (await ListAsync($"/apis/acme.cert-manager.io/v1/namespaces/{ns}/orders")).FirstOrDefault(o => OwnedBy(o, request));
            if (order is not null)
            {
                parts.Add($"Order {Name(order)}: {(string?)order["status"]?["state"] ?? "pending"}{Reason(order)}");
                foreach (var challenge in (await ListAsync($"/apis/acme.cert-manager.io/v1/namespaces/{ns}/challenges")).Where(c => OwnedBy(c, order)))
                {
                    parts.Add($"Challenge {Name(challenge)} ({(string?)challenge["spec"]?["type"]} {(string?)challenge["spec"]?["dnsName"]}): {(string?)challenge["status"]?["state"] ?? "pending"}{Reason(challenge)}");
                }
            }

            return string.Join(" → ", parts);
        }
        catch (Exception ex) when (ex is HttpRequestException or System.Text.Json.JsonException)
        {
            logger.LogDebug("Could not read the issuance of '{Certificate}': {Message}", certificate.Name, ex.Message);
            return null;
        }
    }

    private static string Reason(JsonObject obj) => (string?)obj["status"]?["reason"] is { Length: > 0 } reason ? $" ({reason})" : "";

    /// <summary>List, then watch from the list's resourceVersion; resume after a drop, relist on 410 Gone.</summary>
    private async Task WatchAsync<T>(string path, Func<JsonObject, T?> find, Func<T, JsonObject, Task> publish, CancellationToken stopping)
        where T : class
    {
        string? resourceVersion = null;
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                if (resourceVersion is null)
                {
                    var list = JsonNode.Parse(await KubernetesHttp.GetStringAsync(client, path, stopping))!.AsObject();
                    resourceVersion = (string?)list["metadata"]?["resourceVersion"];
                    foreach (var item in (list["items"] as JsonArray ?? []).OfType<JsonObject>())
                    {
                        if (find(item) is { } resource)
                        {
                            await publish(resource, item);
                        }
                    }
                }

                using var response = await KubernetesHttp.GetAsync(client, $"{path}?watch=true&allowWatchBookmarks=true&resourceVersion={Uri.EscapeDataString(resourceVersion ?? "")}", HttpCompletionOption.ResponseHeadersRead, stopping);
                if (response.StatusCode == HttpStatusCode.Gone)
                {
                    resourceVersion = null;
                    continue;
                }

                response.EnsureSuccessStatusCode();
                using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(stopping));
                while (await reader.ReadLineAsync(stopping) is { } line)
                {
                    if (line.Length == 0)
                    {
                        continue;
                    }

                    var e = JsonNode.Parse(line)!.AsObject();
                    var type = (string?)e["type"];
                    var obj = e["object"] as JsonObject;
                    if (type == "ERROR")
                    {
                        // 410 Gone: the resourceVersion is too old; list again.
                        resourceVersion = (long?)obj?["code"] == 410 ? null : resourceVersion;
                        break;
                    }

                    resourceVersion = (string?)obj?["metadata"]?["resourceVersion"] ?? resourceVersion;
                    if (type is "ADDED" or "MODIFIED" && obj is not null && find(obj) is { } resource)
                    {
                        await publish(resource, obj);
                    }
                }
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is HttpRequestException or IOException or System.Text.Json.JsonException)
            {
                logger.LogDebug("The watch of {Path} dropped ({Message}); resuming.", path, ex.Message);
            }

            // Not a poll: a pause before resuming a watch that ended or dropped.
            await Task.Delay(TimeSpan.FromSeconds(1), stopping);
        }
    }
}
