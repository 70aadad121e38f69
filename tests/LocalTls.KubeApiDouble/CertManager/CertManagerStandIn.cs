using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using LocalTls.Acme;
using LocalTls.Sslip;

namespace LocalTls.KubeApiDouble.CertManager;

/// <summary>
/// A stand-in for cert-manager's controller and webhook, on the double's own store: ACME Issuers and ClusterIssuers
/// register an account with their server trusting only their <c>caBundle</c>; Certificates are issued over ACME
/// (CertificateRequest, Order, Challenge, Secret, status) as cert-manager writes them; <c>Issuing=True</c> on a
/// Certificate's status (cmctl renew) issues the next revision.
/// </summary>
/// <remarks>
/// Simplified (see the README): challenges are answered over dns-01 through an sslip.io responder that step-ca resolves
/// with (<see cref="KubeApiServer.ClusterDns"/>), where real cert-manager would use the issuer's http01 solver; one
/// reconcile at a time.
/// </remarks>
public sealed class CertManagerStandIn : IAsyncDisposable
{
    public const string ClusterResourceNamespace = "cert-manager";

    private const string ControllerManager = "cert-manager-controller";
    private static readonly TimeSpan DefaultDuration = TimeSpan.FromHours(2160);
    private static readonly ResourceType NamespaceType = ResourceType.BuiltIn.Single(t => t.Kind == "Namespace");
    private static readonly ResourceType SecretType = ResourceType.BuiltIn.Single(t => t.Kind == "Secret");
    private static readonly ResourceType ClusterIssuers = Custom("cert-manager.io", "ClusterIssuer", "clusterissuers", false);
    private static readonly ResourceType Issuers = Custom("cert-manager.io", "Issuer", "issuers", true);
    private static readonly ResourceType Certificates = Custom("cert-manager.io", "Certificate", "certificates", true);
    private static readonly ResourceType CertificateRequests = Custom("cert-manager.io", "CertificateRequest", "certificaterequests", true);
    private static readonly ResourceType Orders = Custom("acme.cert-manager.io", "Order", "orders", true);
    private static readonly ResourceType Challenges = Custom("acme.cert-manager.io", "Challenge", "challenges", true);

    private readonly KubeApiServer server;
    private readonly SslipDnsServer dns;
    private readonly CancellationTokenSource stopping = new();
    private readonly Channel<(ResourceType Type, string? Namespace, string Name)> queue = Channel.CreateUnbounded<(ResourceType, string?, string)>();
    private readonly List<ObjectStore.Watcher> watchers = [];
    private readonly List<Task> pumps = [];
    private readonly Dictionary<string, DateTimeOffset> scheduled = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (int Failures, DateTimeOffset Due)> retries = new(StringComparer.Ordinal);
    private readonly Task loop;

    private CertManagerStandIn(KubeApiServer server)
    {
        this.server = server;
        dns = SslipDnsServer.Start(new SslipDnsServerOptions { EndPoint = new IPEndPoint(IPAddress.Loopback, 0) });
        server.ClusterDns = dns.EndPoint;
        Webhook.Register(server.Api.Admission);
        foreach (var type in new[] { ClusterIssuers, Issuers, Certificates, SecretType })
        {
            var watcher = server.Store.Watch(type, null, 0, _ => true);
            watchers.Add(watcher);
            pumps.Add(Task.Run(() => PumpAsync(type, watcher)));
        }

        loop = Task.Run(RunAsync);
    }

    /// <summary>cert-manager's webhook; <see cref="CertManagerWebhook.Ready"/> switches it off.</summary>
    public CertManagerWebhook Webhook { get; } = new();

    /// <summary>The sslip.io responder step-ca resolves through, where dns-01 answers are published.</summary>
    public IPEndPoint Dns => dns.EndPoint;

    /// <summary>How long one issuance may take before it counts as failed (cert-manager would wait on a pending challenge).</summary>
    public TimeSpan IssuanceTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Installs the webhook and starts reconciling. Start it before step-ca runs, so that the kubelet stand-in gives
    /// step-ca the cluster DNS (<see cref="KubeApiServer.ClusterDns"/>) that dns-01 answers are published in.
    /// </summary>
    public static CertManagerStandIn Start(KubeApiServer server) => new(server);

    private static ResourceType Custom(string group, string kind, string plural, bool namespaced) =>
        new(group, "v1", kind, plural, kind.ToLowerInvariant(), namespaced, true, []);

    private async Task PumpAsync(ResourceType type, ObjectStore.Watcher watcher)
    {
        try
        {
            long last = 0;
            while (true)
            {
                await PumpOnceAsync(type, watcher, rv => last = rv);

                // The watch was dropped (DropWatches): resume from the last resourceVersion seen, as cert-manager's
                // informers do, or list again (from 0) when that is too old.
                lock (watchers)
                {
                    stopping.Token.ThrowIfCancellationRequested();
                    watchers.Remove(watcher);
                    try
                    {
                        watcher = server.Store.Watch(type, null, last, _ => true);
                    }
                    catch (ApiError)
                    {
                        watcher = server.Store.Watch(type, null, 0, _ => true);
                    }

                    watchers.Add(watcher);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task PumpOnceAsync(ResourceType type, ObjectStore.Watcher watcher, Action<long> seen)
    {
        await foreach (var change in watcher.Channel.Reader.ReadAllAsync(stopping.Token))
        {
            if (long.TryParse((string?)change.Object["metadata"]?["resourceVersion"], out var resourceVersion))
            {
                seen(resourceVersion);
            }

            if (type == SecretType)
            {
                // A Certificate's Secret deleted or changed: its Certificate is looked at again (and reissued if need be).
                if ((string?)change.Object["metadata"]?["annotations"]?["cert-manager.io/certificate-name"] is { } certificate)
                {
                    queue.Writer.TryWrite((Certificates, change.Namespace, certificate));
                }
            }
            else if (change.Type != "DELETED")
            {
                queue.Writer.TryWrite((type, change.Namespace, (string)change.Object["metadata"]!["name"]!));
            }
        }
    }

    private async Task RunAsync()
    {
        try
        {
            await foreach (var (type, ns, name) in queue.Reader.ReadAllAsync(stopping.Token))
            {
                try
                {
                    if (type == Certificates)
                    {
                        await ReconcileCertificateAsync(ns!, name);
                    }
                    else
                    {
                        await ReconcileIssuerAsync(type, ns, name);
                    }
                }
                catch (Exception e) when (e is ApiError or IOException or InvalidOperationException or FormatException or CryptographicException)
                {
                    await Console.Error.WriteLineAsync($"cert-manager stand-in: {type.Kind} {ns}/{name}: {e.Message}");
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private ResourceType Served(ResourceType type) =>
        server.Api.FindType(type.Group, "v1", type.Plural) ?? throw new InvalidOperationException($"{type.QualifiedResource} is not served (its CRD is not applied)");

    private JsonObject? Read(ResourceType type, string? ns, string name) => server.Store.Get(Served(type), ns, name);

    private void WriteStatus(ResourceType type, string? ns, string name, JsonObject status) =>
        server.Api.Patch(Served(type), ns, name, "status", "application/merge-patch+json",
            new JsonObject { ["status"] = status.DeepClone() }.ToJsonString(), new WriteOptions(FieldManager: ControllerManager));

    /// <summary>
    /// A Certificate's status written as cert-manager's UpdateStatus does, against the resourceVersion it was computed
    /// from: when someone changed the Certificate meanwhile (e.g. Renew set Issuing=True), the write is refused with a
    /// conflict and the Certificate is looked at again, so that change is not overwritten.
    /// </summary>
    /// <returns>Whether the status was written.</returns>
    private bool WriteCertificateStatus(string ns, string name, JsonObject status, JsonObject readFrom)
    {
        try
        {
            server.Api.Patch(Served(Certificates), ns, name, "status", "application/merge-patch+json",
                new JsonObject
                {
                    ["metadata"] = new JsonObject { ["resourceVersion"] = (string?)readFrom["metadata"]?["resourceVersion"] },
                    ["status"] = status.DeepClone(),
                }.ToJsonString(), new WriteOptions(FieldManager: ControllerManager));
            return true;
        }
        catch (ApiError e) when (e.Code == 409)
        {
            queue.Writer.TryWrite((Certificates, ns, name));
            return false;
        }
    }

    private JsonObject Create(ResourceType type, string ns, JsonObject obj) =>
        server.Api.Create(Served(type), ns, obj, new WriteOptions(FieldManager: ControllerManager));

    private static string Now() => DateTime.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    private static string Time(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    /// <summary>The conditions with one set; lastTransitionTime moves only when the status does, as cert-manager keeps it.</summary>
    private static JsonArray WithCondition(JsonNode? conditions, string type, string status, string reason, string message, long? generation)
    {
        var list = (conditions as JsonArray)?.Select(c => (JsonObject)c!.DeepClone()).ToList() ?? [];
        var old = list.FirstOrDefault(c => (string?)c["type"] == type);
        var condition = new JsonObject
        {
            ["type"] = type,
            ["status"] = status,
            ["lastTransitionTime"] = old is not null && (string?)old["status"] == status ? (string?)old["lastTransitionTime"] : Now(),
            ["reason"] = reason,
            ["message"] = message,
        };
        if (generation is { } g)
        {
            condition["observedGeneration"] = g;
        }

        if (old is null)
        {
            list.Add(condition);
        }
        else
        {
            list[list.IndexOf(old)] = condition;
        }

        return new JsonArray([.. list]);
    }

    private static JsonArray WithoutCondition(JsonNode? conditions, string type) =>
        new([.. (conditions as JsonArray ?? []).Where(c => (string?)c!["type"] != type).Select(c => c!.DeepClone())]);

    private static JsonObject? Condition(JsonObject obj, string type) =>
        (obj["status"]?["conditions"] as JsonArray)?.FirstOrDefault(c => (string?)c!["type"] == type) as JsonObject;

    // ---- Issuers ----------------------------------------------------------------------------------------------------

    private async Task ReconcileIssuerAsync(ResourceType type, string? ns, string name)
    {
        var issuer = Read(type, ns, name);
        var acme = issuer?["spec"]?["acme"];
        if (issuer is null || acme is null)
        {
            return;
        }

        var generation = (long?)issuer["metadata"]!["generation"];
        var ready = Condition(issuer, "Ready");
        var key = $"{type.Plural}/{ns}/{name}";
        if (ready is not null && (long?)ready["observedGeneration"] == generation)
        {
            // Registered for this generation; a failed registration is tried again when its backoff is over.
            lock (retries)
            {
                if ((string?)ready["status"] == "True" || !retries.TryGetValue(key, out var retry) || retry.Due > DateTimeOffset.UtcNow)
                {
                    return;
                }
            }
        }

        string? accountUri = null;
        string? error = null;
        try
        {
            accountUri = await RegisterAsync(type, ns, acme);
        }
        catch (Exception e) when (e is AcmeException or ArgumentException or HttpRequestException or FormatException or CryptographicException)
        {
            error = e.Message;
        }

        var status = (JsonObject?)issuer["status"]?.DeepClone() ?? [];
        if (error is null)
        {
            status["acme"] = new JsonObject { ["uri"] = accountUri, ["lastRegisteredEmail"] = (string?)acme["email"] };
            status["conditions"] = WithCondition(status["conditions"], "Ready", "True", "ACMEAccountRegistered", "The ACME account was registered with the ACME server", generation);
        }
        else
        {
            status["conditions"] = WithCondition(status["conditions"], "Ready", "False", "ErrRegisterACMEAccount", "Failed to register ACME account: " + error, generation);
        }

        WriteStatus(type, ns, name, status);
        lock (retries)
        {
            if (error is null)
            {
                retries.Remove(key);
            }
            else
            {
                // cert-manager's work queue backs off per item: 5 s doubling to 5 min.
                var failures = retries.TryGetValue(key, out var previous) ? previous.Failures + 1 : 1;
                var due = DateTimeOffset.UtcNow + TimeSpan.FromSeconds(Math.Min(5 * Math.Pow(2, failures - 1), 300));
                retries[key] = (failures, due);
                _ = Task.Run(async () =>
                {
                    try
                    {
                        await Task.Delay(due - DateTimeOffset.UtcNow + TimeSpan.FromMilliseconds(50), stopping.Token);
                        queue.Writer.TryWrite((type, ns, name));
                    }
                    catch (OperationCanceledException)
                    {
                    }
                });
            }
        }

        if (error is null)
        {
            // Certificates waiting on this issuer go on.
            foreach (var certificate in server.Store.List(Served(Certificates), null))
            {
                queue.Writer.TryWrite((Certificates, (string?)certificate["metadata"]!["namespace"], (string)certificate["metadata"]!["name"]!));
            }
        }
    }

    /// <summary>Registers (or finds) the account for the key in <c>privateKeySecretRef</c>, creating and storing the key first when there is none.</summary>
    private async Task<string> RegisterAsync(ResourceType type, string? ns, JsonNode acme)
    {
        using var key = AccountKey(type == ClusterIssuers ? ClusterResourceNamespace : ns!, acme);
        using var handler = Handler(acme);
        using var client = new AcmeClient(new Uri((string)acme["server"]!), key, new AcmeClientOptions { HttpMessageHandler = handler, RequestTimeout = TimeSpan.FromSeconds(10) });
        var email = (string?)acme["email"];
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stopping.Token);
        timeout.CancelAfter(IssuanceTimeout);
        await client.CreateAccountAsync(email is { Length: > 0 } ? ["mailto:" + email] : null, timeout.Token);
        return client.AccountUrl!.ToString();
    }

    private AcmeAccountKey AccountKey(string secretNamespace, JsonNode acme)
    {
        var secretName = (string)acme["privateKeySecretRef"]!["name"]!;
        var field = (string?)acme["privateKeySecretRef"]?["key"] ?? "tls.key";
        if (server.Store.Get(SecretType, secretNamespace, secretName)?["data"]?[field] is JsonNode stored)
        {
            return AcmeAccountKey.FromPem(Encoding.ASCII.GetString(Convert.FromBase64String((string)stored!)));
        }

        var key = AcmeAccountKey.Create();
        EnsureNamespace(secretNamespace);
        ApplySecret(ControllerManager, secretNamespace, secretName, new JsonObject { [field] = Convert.ToBase64String(Encoding.ASCII.GetBytes(key.ExportPem())) }, null, null);
        return key;
    }

    /// <summary>Trusts only the issuer's caBundle (none: the system's roots), and reaches Service names as a pod does.</summary>
    private SocketsHttpHandler Handler(JsonNode acme)
    {
        var bundle = (string?)acme["caBundle"];
        var handler = bundle is { Length: > 0 }
            ? AcmeClient.CreateHandler(Encoding.ASCII.GetString(Convert.FromBase64String(bundle)))
            : new SocketsHttpHandler();
        return ClusterNetwork.WithServiceNames(handler, server.Proxy);
    }

    private void EnsureNamespace(string ns)
    {
        if (server.Store.Get(NamespaceType, null, ns) is null)
        {
            server.Api.Create(NamespaceType, null, new JsonObject
            {
                ["apiVersion"] = "v1",
                ["kind"] = "Namespace",
                ["metadata"] = new JsonObject { ["name"] = ns },
            }, new WriteOptions(FieldManager: ControllerManager));
        }
    }

    private void ApplySecret(string manager, string ns, string name, JsonObject data, string? type, JsonObject? metadata)
    {
        var secret = new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "Secret",
            ["metadata"] = metadata ?? new JsonObject(),
            ["data"] = data,
        };
        secret["metadata"]!["name"] = name;
        secret["metadata"]!["namespace"] = ns;
        if (type is not null)
        {
            secret["type"] = type;
        }

        // cert-manager writes its Secrets with server-side apply.
        server.Api.Patch(SecretType, ns, name, null, "application/apply-patch+yaml", secret.ToJsonString(),
            new WriteOptions(FieldManager: manager, Force: true) { ForceGiven = true });
    }

    // ---- Certificates -----------------------------------------------------------------------------------------------

    private async Task ReconcileCertificateAsync(string ns, string name)
    {
        var certificate = Read(Certificates, ns, name);
        if (certificate is null)
        {
            return;
        }

        var spec = certificate["spec"]!;
        var secretName = (string)spec["secretName"]!;
        var secret = server.Store.Get(SecretType, ns, secretName);
        var status = (JsonObject?)certificate["status"]?.DeepClone() ?? [];
        var issuing = Condition(certificate, "Issuing");
        var current = CurrentCertificate(secret);
        string? reason = null, message = null;
        if ((string?)issuing?["status"] == "True")
        {
            (reason, message) = ((string?)issuing["reason"] ?? "", (string?)issuing["message"] ?? "");
        }
        else if (current is null)
        {
            (reason, message) = ("DoesNotExist", "Issuing certificate as Secret does not exist");
        }
        else if (!SameNames(current, spec))
        {
            (reason, message) = ("SecretMismatch", "Existing issued Secret is not up to date for spec: [spec.dnsNames]");
        }
        else if (RenewalTime(current, spec) <= DateTimeOffset.UtcNow)
        {
            (reason, message) = ("Renewing", $"Renewing certificate as renewal was scheduled at {Time(RenewalTime(current, spec))}");
        }

        if (reason is null)
        {
            if (WriteCertificateStatus(ns, name, UpToDate(status, current!, spec, (long?)certificate["metadata"]!["generation"]), certificate))
            {
                ScheduleRenewal(ns, name, RenewalTime(current!, spec));
            }

            current!.Dispose();
            return;
        }

        if ((string?)issuing?["status"] != "True" && InBackoff(status) is { } retryAt)
        {
            // After failures cert-manager waits 1h·2^(n-1) before it tries by itself again (a manual renew does not wait).
            ScheduleRenewal(ns, name, retryAt);
            current?.Dispose();
            return;
        }

        var generation = (long?)certificate["metadata"]!["generation"];
        status["conditions"] = WithCondition(status["conditions"], "Issuing", "True", reason, message!, generation);
        if (current is null)
        {
            status["conditions"] = WithCondition(status["conditions"], "Ready", "False", "DoesNotExist", "Issuing certificate as Secret does not exist", generation);
        }

        current?.Dispose();
        if (WriteCertificateStatus(ns, name, status, certificate))
        {
            await IssueAsync(certificate, status, generation);
        }
    }

    private static X509Certificate2? CurrentCertificate(JsonObject? secret)
    {
        if (secret?["data"]?["tls.crt"] is not JsonNode crt || secret["data"]?["tls.key"] is null)
        {
            return null;
        }

        try
        {
            return X509Certificate2.CreateFromPem(Encoding.ASCII.GetString(Convert.FromBase64String((string)crt!)));
        }
        catch (CryptographicException)
        {
            return null;
        }
    }

    private static bool SameNames(X509Certificate2 current, JsonNode spec)
    {
        var wanted = (spec["dnsNames"] as JsonArray ?? []).Select(n => (string)n!).Order(StringComparer.Ordinal);
        var have = current.Extensions.OfType<X509SubjectAlternativeNameExtension>().SelectMany(e => e.EnumerateDnsNames()).Order(StringComparer.Ordinal);
        return wanted.SequenceEqual(have);
    }

    /// <summary>notAfter − renewBefore, else two thirds into the lifetime (cert-manager's default renewBefore is a third of it).</summary>
    private static DateTimeOffset RenewalTime(X509Certificate2 current, JsonNode spec)
    {
        var notBefore = new DateTimeOffset(current.NotBefore.ToUniversalTime(), TimeSpan.Zero);
        var notAfter = new DateTimeOffset(current.NotAfter.ToUniversalTime(), TimeSpan.Zero);
        var renewBefore = (string?)spec["renewBefore"] is { } text ? ParseDuration(text) : (notAfter - notBefore) / 3;
        return notAfter - renewBefore;
    }

    private static DateTimeOffset? InBackoff(JsonObject status)
    {
        if ((long?)status["failedIssuanceAttempts"] is not { } failures || failures <= 0 || (string?)status["lastFailureTime"] is not { } last)
        {
            return null;
        }

        var retryAt = DateTimeOffset.Parse(last, CultureInfo.InvariantCulture) + TimeSpan.FromHours(Math.Pow(2, Math.Min(failures - 1, 5)));
        return retryAt > DateTimeOffset.UtcNow ? retryAt : null;
    }

    private void ScheduleRenewal(string ns, string name, DateTimeOffset at)
    {
        var delay = at - DateTimeOffset.UtcNow;
        lock (scheduled)
        {
            if (delay > TimeSpan.FromDays(1) || (scheduled.TryGetValue($"{ns}/{name}", out var already) && already == at))
            {
                return;
            }

            scheduled[$"{ns}/{name}"] = at;
        }

        _ = Task.Run(async () =>
        {
            try
            {
                await Task.Delay(delay > TimeSpan.Zero ? delay : TimeSpan.FromSeconds(1), stopping.Token);
                queue.Writer.TryWrite((Certificates, ns, name));
            }
            catch (OperationCanceledException)
            {
            }
        });
    }

    private static JsonObject UpToDate(JsonObject status, X509Certificate2 current, JsonNode spec, long? generation)
    {
        status["conditions"] = WithCondition(WithoutCondition(status["conditions"], "Issuing"), "Ready", "True", "Ready", "Certificate is up to date and has not expired", generation);
        status["notBefore"] = Time(new DateTimeOffset(current.NotBefore.ToUniversalTime(), TimeSpan.Zero));
        status["notAfter"] = Time(new DateTimeOffset(current.NotAfter.ToUniversalTime(), TimeSpan.Zero));
        status["renewalTime"] = Time(RenewalTime(current, spec));
        return status;
    }

    /// <summary>One revision: key and CSR, CertificateRequest, Order and Challenges over ACME, then the Secret and status.</summary>
    private async Task IssueAsync(JsonObject certificate, JsonObject status, long? generation)
    {
        var ns = (string)certificate["metadata"]!["namespace"]!;
        var name = (string)certificate["metadata"]!["name"]!;
        var spec = certificate["spec"]!;
        var revision = ((long?)status["revision"] ?? 0) + 1;
        var requestName = $"{name}-{revision}";
        var names = (spec["dnsNames"] as JsonArray ?? []).Select(n => (string)n!).ToList();
        var issuerRef = spec["issuerRef"]!;
        var issuerKind = (string?)issuerRef["kind"] ?? "Issuer";
        var issuerType = issuerKind == "ClusterIssuer" ? ClusterIssuers : Issuers;
        var issuer = Read(issuerType, issuerType == ClusterIssuers ? null : ns, (string)issuerRef["name"]!);
        var duration = (string?)spec["duration"] is { } d ? ParseDuration(d) : DefaultDuration;

        var issuerReady = (string?)Condition(issuer ?? [], "Ready")?["status"] == "True";
        if (!issuerReady && Read(CertificateRequests, ns, requestName) is not null)
        {
            // This revision's request already waits for the issuer.
            return;
        }

        using var key = NewKey(spec["privateKey"]);
        var csrPem = Csr(key, (string?)spec["commonName"], names);
        var csrBase64 = Convert.ToBase64String(Encoding.ASCII.GetBytes(csrPem));

        // A request of this revision left pending (its issuer was not ready) is replaced by a fresh one.
        if (Read(CertificateRequests, ns, requestName) is not null)
        {
            server.Api.Delete(Served(CertificateRequests), ns, requestName, new WriteOptions(FieldManager: ControllerManager));
        }

        Create(CertificateRequests, ns, new JsonObject
        {
            ["apiVersion"] = "cert-manager.io/v1",
            ["kind"] = "CertificateRequest",
            ["metadata"] = new JsonObject
            {
                ["name"] = requestName,
                ["namespace"] = ns,
                ["annotations"] = new JsonObject
                {
                    ["cert-manager.io/certificate-name"] = name,
                    ["cert-manager.io/certificate-revision"] = revision.ToString(CultureInfo.InvariantCulture),
                    ["cert-manager.io/private-key-secret-name"] = $"{name}-{Guid.NewGuid().ToString("N")[..5]}",
                },
                ["ownerReferences"] = Owner(certificate),
            },
            ["spec"] = new JsonObject
            {
                ["request"] = csrBase64,
                ["issuerRef"] = issuerRef.DeepClone(),
                ["duration"] = FormatDuration(duration),
                ["usages"] = new JsonArray("digital signature", "key encipherment"),
            },
        });
        var requestStatus = new JsonObject
        {
            ["conditions"] = WithCondition(null, "Approved", "True", "cert-manager.io", "Certificate request has been approved by cert-manager.io", null),
        };

        if (issuer is null || !issuerReady)
        {
            var why = issuer is null
                ? $"Referenced \"{issuerKind}\" not found: {issuerType.QualifiedResource} \"{(string?)issuerRef["name"]}\" not found"
                : "Referenced issuer does not have a Ready status condition";
            requestStatus["conditions"] = WithCondition(requestStatus["conditions"], "Ready", "False", "Pending", why, null);
            WriteStatus(CertificateRequests, ns, requestName, requestStatus);
            return;
        }

        requestStatus["conditions"] = WithCondition(requestStatus["conditions"], "Ready", "False", "Pending", "Waiting on certificate issuance from order " + ns + "/" + requestName + "-" + Hash(csrBase64) + ": \"\"", null);
        WriteStatus(CertificateRequests, ns, requestName, requestStatus);

        string? chain = null;
        string? failure = null;
        try
        {
            chain = await OrderAsync(issuer, issuerType, certificate, requestName, csrPem, csrBase64, names, duration);
        }
        catch (Exception e) when (e is AcmeException or HttpRequestException or ArgumentException or OperationCanceledException && !stopping.IsCancellationRequested)
        {
            failure = e.Message;
        }

        var fresh = Read(Certificates, ns, name);
        if (fresh is null)
        {
            return;
        }

        var freshStatus = (JsonObject?)fresh["status"]?.DeepClone() ?? [];
        if (chain is null)
        {
            var now = Now();
            requestStatus["conditions"] = WithCondition(requestStatus["conditions"], "Ready", "False", "Failed", "Failed to wait for order resource \"" + requestName + "\" to become ready: " + failure, null);
            requestStatus["failureTime"] = now;
            WriteStatus(CertificateRequests, ns, requestName, requestStatus);
            freshStatus["conditions"] = WithCondition(freshStatus["conditions"], "Issuing", "False", "Failed",
                $"The certificate request has failed to complete and will be retried: Failed to wait for order resource \"{requestName}\" to become ready: {failure}", generation);
            freshStatus["failedIssuanceAttempts"] = ((long?)freshStatus["failedIssuanceAttempts"] ?? 0) + 1;
            freshStatus["lastFailureTime"] = now;
            WriteCertificateStatus(ns, name, freshStatus, fresh);
            return;
        }

        requestStatus["certificate"] = Convert.ToBase64String(Encoding.ASCII.GetBytes(chain));
        requestStatus["conditions"] = WithCondition(requestStatus["conditions"], "Ready", "True", "Issued", "Certificate fetched from issuer successfully", null);
        WriteStatus(CertificateRequests, ns, requestName, requestStatus);

        // For an ACME issuer cert-manager writes no ca.crt: the ACME server does not say which root it chains to.
        var keyPem = key is RSA rsa ? rsa.ExportRSAPrivateKeyPem() : ((ECDsa)key).ExportECPrivateKeyPem();
        using var leaf = X509Certificate2.CreateFromPem(chain);
        ApplySecret("cert-manager-certificates-issuing", ns, (string)spec["secretName"]!, new JsonObject
        {
            ["tls.crt"] = Convert.ToBase64String(Encoding.ASCII.GetBytes(chain)),
            ["tls.key"] = Convert.ToBase64String(Encoding.ASCII.GetBytes(keyPem + "\n")),
        }, "kubernetes.io/tls", new JsonObject
        {
            ["labels"] = new JsonObject { ["controller.cert-manager.io/fao"] = "true" },
            ["annotations"] = new JsonObject
            {
                ["cert-manager.io/alt-names"] = string.Join(",", names),
                ["cert-manager.io/certificate-name"] = name,
                ["cert-manager.io/common-name"] = leaf.GetNameInfo(X509NameType.SimpleName, false),
                ["cert-manager.io/ip-sans"] = "",
                ["cert-manager.io/issuer-group"] = (string?)issuerRef["group"] ?? "cert-manager.io",
                ["cert-manager.io/issuer-kind"] = issuerKind,
                ["cert-manager.io/issuer-name"] = (string)issuerRef["name"]!,
                ["cert-manager.io/uri-sans"] = "",
            },
        });
        freshStatus["revision"] = revision;
        freshStatus["failedIssuanceAttempts"] = null;
        freshStatus["lastFailureTime"] = null;
        var written = UpToDate(freshStatus, leaf, fresh["spec"]!, generation);
        if (WriteCertificateStatus(ns, name, written, fresh))
        {
            ScheduleRenewal(ns, name, RenewalTime(leaf, fresh["spec"]!));
        }
    }

    private static JsonArray Owner(JsonObject owner) => new(new JsonObject
    {
        ["apiVersion"] = (string?)owner["apiVersion"],
        ["kind"] = (string?)owner["kind"],
        ["name"] = (string?)owner["metadata"]!["name"],
        ["uid"] = (string?)owner["metadata"]!["uid"],
        ["controller"] = true,
        ["blockOwnerDeletion"] = true,
    });

    /// <summary>The ACME part (cert-manager's Order and Challenge controllers): returns the PEM chain.</summary>
    private async Task<string> OrderAsync(JsonObject issuer, ResourceType issuerType, JsonObject certificate, string requestName, string csrPem, string csrBase64, List<string> names, TimeSpan duration)
    {
        var ns = (string)certificate["metadata"]!["namespace"]!;
        var acme = issuer["spec"]!["acme"]!;
        var issuerRef = certificate["spec"]!["issuerRef"]!.DeepClone();
        using var key = AccountKey(issuerType == ClusterIssuers ? ClusterResourceNamespace : ns, acme);
        using var handler = Handler(acme);
        using var client = new AcmeClient(new Uri((string)acme["server"]!), key, new AcmeClientOptions { HttpMessageHandler = handler, RequestTimeout = TimeSpan.FromSeconds(10) });
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stopping.Token);
        // Each wait below is bounded by IssuanceTimeout and says what it waited for; this bounds them all.
        timeout.CancelAfter(IssuanceTimeout * 3);
        var ct = timeout.Token;
        await client.CreateAccountAsync(cancellationToken: ct);

        var orderName = $"{requestName}-{Hash(csrBase64)}";
        var order = new JsonObject
        {
            ["apiVersion"] = "acme.cert-manager.io/v1",
            ["kind"] = "Order",
            ["metadata"] = new JsonObject { ["name"] = orderName, ["namespace"] = ns },
            ["spec"] = new JsonObject
            {
                ["request"] = csrBase64,
                ["issuerRef"] = issuerRef.DeepClone(),
                ["dnsNames"] = new JsonArray([.. names.Select(n => JsonValue.Create(n))]),
            },
        };
        var withDuration = (bool?)acme["enableDurationFeature"] == true;
        if (withDuration)
        {
            order["spec"]!["duration"] = FormatDuration(duration);
        }

        Create(Orders, ns, order);
        AcmeOrder acmeOrder;
        try
        {
            acmeOrder = await client.NewOrderAsync([.. names.Select(AcmeIdentifier.For)], notAfter: withDuration ? DateTimeOffset.UtcNow + duration : null, cancellationToken: ct);
        }
        catch (AcmeException e)
        {
            WriteStatus(Orders, ns, orderName, new JsonObject { ["state"] = "errored", ["reason"] = e.Message, ["failureTime"] = Now() });
            throw;
        }

        var authorizations = new List<AcmeAuthorization>();
        foreach (var url in acmeOrder.Authorizations)
        {
            authorizations.Add(await client.GetAuthorizationAsync(url, ct));
        }

        WriteStatus(Orders, ns, orderName, new JsonObject
        {
            ["state"] = "pending",
            ["url"] = acmeOrder.Url.ToString(),
            ["finalizeURL"] = acmeOrder.Finalize?.ToString(),
            ["authorizations"] = new JsonArray([.. authorizations.Select(a => (JsonNode)new JsonObject
            {
                ["url"] = a.Url.ToString(),
                ["identifier"] = a.Identifier.Value,
                ["initialState"] = a.Status,
                ["wildcard"] = a.Wildcard,
                ["challenges"] = new JsonArray([.. a.Challenges.Select(c => (JsonNode)new JsonObject { ["type"] = c.Type, ["url"] = c.Url.ToString(), ["token"] = c.Token })]),
            })]),
        });

        try
        {
            foreach (var authorization in authorizations.Where(a => a.Status != AcmeStatus.Valid))
            {
                await SolveAsync(client, authorization, orderName, ns, issuerRef, ct);
            }

            var csr = Der(csrPem);
            AcmeOrder finalized;
            try
            {
                finalized = await client.FinalizeAsync(acmeOrder, csr, ct);
            }
            catch (AcmeException e) when (e.Problem?.Type == AcmeProblem.OrderNotReady)
            {
                acmeOrder = await client.WaitForOrderAsync(acmeOrder.Url, IssuanceTimeout, untilReady: true, ct);
                finalized = await client.FinalizeAsync(acmeOrder, csr, ct);
            }

            if (finalized.Status != AcmeStatus.Valid)
            {
                finalized = await client.WaitForOrderAsync(acmeOrder.Url, IssuanceTimeout, cancellationToken: ct);
            }

            var chain = await client.DownloadCertificateAsync(finalized.Certificate ?? throw new AcmeException($"The order {acmeOrder.Url} is valid but has no certificate URL."), ct);
            WriteStatus(Orders, ns, orderName, new JsonObject { ["state"] = "valid", ["certificate"] = Convert.ToBase64String(Encoding.ASCII.GetBytes(chain)) });
            return chain;
        }
        catch (AcmeException e)
        {
            WriteStatus(Orders, ns, orderName, new JsonObject { ["state"] = e.IsTimeout ? "errored" : "invalid", ["reason"] = e.Message, ["failureTime"] = Now() });
            throw;
        }
    }

    private async Task SolveAsync(AcmeClient client, AcmeAuthorization authorization, string orderName, string ns, JsonNode issuerRef, CancellationToken ct)
    {
        var challenge = authorization.GetChallenge(AcmeChallengeTypes.Dns01)
            ?? throw new AcmeException($"The server offers no dns-01 challenge for {authorization.Identifier.Value}, and the stand-in validates over dns-01 only.");
        var work = new AcmeChallengeWork(authorization, challenge, client.GetKeyAuthorization(challenge.Token));
        var challengeName = $"{orderName}-{Hash(challenge.Url.ToString())}";
        Create(Challenges, ns, new JsonObject
        {
            ["apiVersion"] = "acme.cert-manager.io/v1",
            ["kind"] = "Challenge",
            ["metadata"] = new JsonObject { ["name"] = challengeName, ["namespace"] = ns },
            ["spec"] = new JsonObject
            {
                ["authorizationURL"] = authorization.Url.ToString(),
                ["dnsName"] = authorization.Identifier.Value,
                ["issuerRef"] = issuerRef.DeepClone(),
                ["key"] = work.DnsRecordValue,
                // Not the issuer's http01 solver: the stand-in answers over dns-01 (see the README).
                ["solver"] = new JsonObject { ["dns01"] = new JsonObject { ["webhook"] = new JsonObject { ["groupName"] = "kube-api-double.localtls.io", ["solverName"] = "sslip" } } },
                ["token"] = challenge.Token,
                ["type"] = "DNS-01",
                ["url"] = challenge.Url.ToString(),
                ["wildcard"] = authorization.Wildcard,
            },
        });
        dns.SetTxt(work.DnsRecordName, work.DnsRecordValue);
        WriteStatus(Challenges, ns, challengeName, new JsonObject { ["processing"] = true, ["presented"] = true, ["state"] = "pending", ["reason"] = "Waiting for DNS-01 challenge propagation" });
        try
        {
            var answered = await client.RespondToChallengeAsync(challenge, ct);
            if (answered.Status == AcmeStatus.Invalid)
            {
                throw new AcmeException($"Error accepting authorization: acme: authorization error for {authorization.Identifier.Value}: {answered.Error?.Detail}", answered.Error);
            }

            if (answered.Status != AcmeStatus.Valid)
            {
                await client.WaitForAuthorizationAsync(authorization, AcmeChallengeTypes.Dns01, IssuanceTimeout, ct);
            }

            WriteStatus(Challenges, ns, challengeName, new JsonObject { ["processing"] = false, ["presented"] = false, ["state"] = "valid", ["reason"] = "Successfully authorized domain" });
        }
        catch (AcmeException e)
        {
            // Still pending when the stand-in gave up waiting (cert-manager would wait on), invalid when the server said so.
            WriteStatus(Challenges, ns, challengeName, new JsonObject { ["processing"] = false, ["presented"] = false, ["state"] = e.IsTimeout ? "pending" : "invalid", ["reason"] = e.Message });
            throw;
        }
        finally
        {
            dns.RemoveTxt(work.DnsRecordName, work.DnsRecordValue);
        }
    }

    private static AsymmetricAlgorithm NewKey(JsonNode? privateKey)
    {
        var algorithm = (string?)privateKey?["algorithm"] ?? "RSA";
        var size = (int?)privateKey?["size"];
        return algorithm switch
        {
            "ECDSA" => ECDsa.Create(size switch { 384 => ECCurve.NamedCurves.nistP384, 521 => ECCurve.NamedCurves.nistP521, _ => ECCurve.NamedCurves.nistP256 }),
            "RSA" => RSA.Create(size ?? 2048),
            _ => throw new InvalidOperationException($"the stand-in makes RSA and ECDSA keys, not {algorithm}"),
        };
    }

    private static string Csr(AsymmetricAlgorithm key, string? commonName, List<string> names)
    {
        var subject = new X500DistinguishedName(commonName is { Length: > 0 } cn ? "CN=" + cn : "");
        var request = key is RSA rsa
            ? new CertificateRequest(subject, rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1)
            : new CertificateRequest(subject, (ECDsa)key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        names.ForEach(san.AddDnsName);
        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, true));
        return request.CreateSigningRequestPem();
    }

    private static byte[] Der(string pem) => Convert.FromBase64String(pem[PemEncoding.Find(pem).Base64Data]);

    /// <summary>cert-manager names Orders and Challenges with a 32-bit FNV hash of what they are for.</summary>
    private static string Hash(string text)
    {
        var hash = 2166136261u;
        foreach (var b in Encoding.UTF8.GetBytes(text))
        {
            hash = (hash ^ b) * 16777619u;
        }

        return hash.ToString(CultureInfo.InvariantCulture);
    }

    /// <summary>Go durations as cert-manager writes them (<c>2160h0m0s</c>) and reads them (<c>1h</c>, <c>90m</c>, <c>720h</c>).</summary>
    internal static TimeSpan ParseDuration(string text)
    {
        var total = TimeSpan.Zero;
        var number = new StringBuilder();
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (char.IsDigit(c) || c == '.')
            {
                number.Append(c);
                continue;
            }

            var unit = c == 'm' && i + 1 < text.Length && text[i + 1] == 's' ? "ms" : c.ToString();
            i += unit.Length - 1;
            var value = double.Parse(number.ToString(), CultureInfo.InvariantCulture);
            number.Clear();
            total += unit switch
            {
                "h" => TimeSpan.FromHours(value),
                "m" => TimeSpan.FromMinutes(value),
                "s" => TimeSpan.FromSeconds(value),
                "ms" => TimeSpan.FromMilliseconds(value),
                _ => throw new FormatException($"'{text}' is not a Go duration"),
            };
        }

        return number.Length == 0 ? total : throw new FormatException($"'{text}' is not a Go duration");
    }

    private static string FormatDuration(TimeSpan d) =>
        $"{(long)d.TotalHours}h{d.Minutes}m{d.Seconds}s";

    public async ValueTask DisposeAsync()
    {
        server.Api.Admission.Remove(CertManagerWebhook.Name);
        lock (watchers)
        {
            stopping.Cancel();
            foreach (var watcher in watchers)
            {
                server.Store.StopWatch(watcher);
            }
        }

        queue.Writer.TryComplete();
        await Task.WhenAll(pumps);
        await loop;
        if (server.ClusterDns == dns.EndPoint)
        {
            server.ClusterDns = null;
        }

        await dns.DisposeAsync();
        stopping.Dispose();
    }
}
