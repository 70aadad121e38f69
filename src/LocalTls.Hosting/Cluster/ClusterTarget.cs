using System.Collections.Concurrent;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using k8s;
using k8s.Autorest;
using k8s.Models;
using LocalTls.StepCa;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace LocalTls.Cluster;

/// <summary>
/// The cluster target at run time: connects to each cluster, applies the renderers' objects with server-side apply
/// (field manager <c>localtls</c>) in dependency order, waits for step-ca's rollout and <c>/health</c> through the API
/// server's service proxy, gates on cert-manager, applies issuers and certificates, and shows their cert-manager
/// status on the dashboard by watch.
/// </summary>
internal sealed class ClusterTarget(ResourceNotificationService notifications, ResourceLoggerService resourceLoggers, ILogger<ClusterTarget> logger, IHostApplicationLifetime lifetime)
{
    public const string FieldManager = "localtls";
    public const string RenewCommand = "localtls-renew";

    /// <summary>How long to wait between attempts while something is not there yet (no watch can tell).</summary>
    internal static TimeSpan RetryInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How long cert-manager's webhook may take to answer the dry run before it reads as not answering (a healthy one answers well within a second).</summary>
    internal static TimeSpan WebhookTimeout { get; set; } = TimeSpan.FromSeconds(15);

    private readonly ConcurrentDictionary<KubeconfigClusterResource, ClusterConnection> _connections = new();
    private readonly ConcurrentDictionary<KubeconfigClusterResource, Task> _runs = new();
    private readonly ConcurrentDictionary<StepCaResource, CancellationTokenSource> _followers = new();
    private readonly ConcurrentDictionary<StepCaResource, bool> _rolledOut = new();

    private CancellationToken Follow(StepCaResource ca, CancellationToken stopping)
    {
        var follower = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        if (_followers.TryGetValue(ca, out var previous))
        {
            previous.Cancel();
        }

        _followers[ca] = follower;
        return follower.Token;
    }

    /// <summary>The one command that installs cert-manager by hand, for the release LocalTls is tested against.</summary>
    public static string InstallCertManager => CertManagerInstall.Command(CertManagerInstall.DefaultVersion);

    public ClusterConnection? Connection(KubeconfigClusterResource cluster) => _connections.TryGetValue(cluster, out var c) ? c : null;

    /// <summary>The clusters connected so far, for the clean-up on stop.</summary>
    public IReadOnlyList<(KubeconfigClusterResource Cluster, ClusterConnection Connection)> Connected() => [.. _connections.Select(c => (c.Key, c.Value))];

    /// <summary>The provisioning of a cluster (it ends when the app stops).</summary>
    public Task RunOf(KubeconfigClusterResource cluster) => _runs.TryGetValue(cluster, out var run) ? run : Task.CompletedTask;

    public void Wire(IDistributedApplicationBuilder builder, DistributedApplicationModel model)
    {
        foreach (var cluster in model.Resources.OfType<KubeconfigClusterResource>().ToList())
        {
            builder.CreateResourceBuilder(cluster)
                .WithHealthCheck(ClusterHealthCheck.Key(cluster))
                .OnInitializeResource((r, e, ct) =>
                {
                    _runs[r] = Task.Run(() => RunAsync(r, model, lifetime.ApplicationStopping), CancellationToken.None);
                    return Task.CompletedTask;
                });
        }

        foreach (var certificate in model.Resources.OfType<CertificateResource>().Where(c => c.HostDirectory is null && c.Issuer is not null))
        {
            builder.CreateResourceBuilder(certificate).WithCommand(RenewCommand, "Renew", async context =>
            {
                var cluster = ClusterOf(model, certificate);
                if (cluster is null || Connection(cluster) is not { } connection)
                {
                    return CommandResults.Failure("The cluster is not connected yet.");
                }

                try
                {
                    await RequestRenewalAsync(connection.Client, certificate, context.CancellationToken);
                    return CommandResults.Success();
                }
                catch (HttpOperationException ex)
                {
                    return CommandResults.Failure($"cert-manager's Certificate could not be marked for renewal: {StatusMessage(ex.Response.Content) ?? ex.Message}");
                }
            }, new CommandOptions
            {
                Description = "Ask cert-manager to issue this certificate again now (as 'cmctl renew' does), e.g. after failures made it back off.",
                IconName = "ArrowSync",
                UpdateState = context => context.ResourceSnapshot.State?.Text is "Running" or "Failed" or "Issuing" or ClusterStatusWatcher.RenewalFailing ? ResourceCommandState.Enabled : ResourceCommandState.Disabled,
            });
        }
    }

    private static KubeconfigClusterResource? ClusterOf(DistributedApplicationModel model, CertificateResource certificate) =>
        certificate.Hostnames.Select(h => h.Cluster).FirstOrDefault(c => c is not null)
        ?? certificate.Issuer?.Ca?.Cluster
        ?? model.Resources.OfType<KubeconfigClusterResource>().FirstOrDefault();

    private async Task RunAsync(KubeconfigClusterResource cluster, DistributedApplicationModel model, CancellationToken stopping)
    {
        // A failed request (a 500, a 429, a conflict, the API going away) ends in a visible state, then the whole
        // provisioning runs again: applying is idempotent, so a retry changes only what did not land.
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                var connection = await ConnectAsync(cluster, model, stopping);
                await ProvisionAsync(cluster, connection, model, stopping);
                return;
            }
            catch (Exception) when (stopping.IsCancellationRequested)
            {
                // The app is stopping: what failed is the app going away.
                return;
            }
            catch (Exception ex)
            {
                var problem = ex is HttpOperationException http
                    ? $"The API server answered {(int)http.Response.StatusCode} ({http.Response.ReasonPhrase}): {Shorten(StatusMessage(http.Response.Content) ?? ex.Message)}. Retrying in {RetryInterval.TotalSeconds:0} s."
                    : $"{ex.Message} Retrying in {RetryInterval.TotalSeconds:0} s.";
                logger.LogWarning("Provisioning into '{Cluster}' failed: {Problem}", cluster.Name, problem);
                await notifications.PublishUpdateAsync(cluster, s => s with
                {
                    State = new ResourceStateSnapshot("Retrying", KnownResourceStateStyles.Warn),
                    Properties = s.Properties.With(LocalTlsProperties.Problem, problem),
                });
                await Task.Delay(RetryInterval, stopping).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }
    }

    private async Task<ClusterConnection> ConnectAsync(KubeconfigClusterResource cluster, DistributedApplicationModel model, CancellationToken stopping)
    {
        if (cluster.KubeconfigSource is { } source)
        {
            // WithKubeconfig(resource): wait until it is healthy, then its connection string is the kubeconfig.
            await notifications.WaitForDependenciesAsync(cluster, stopping);
            cluster.KubeconfigPath = await source.GetConnectionStringAsync(stopping)
                ?? throw new ClusterUnavailableException($"'{source.Name}' gave no connection string: it should be the path of its kubeconfig.");
        }

        await notifications.PublishUpdateAsync(cluster, s => s with { State = KnownResourceStates.Starting });
        while (true)
        {
            try
            {
                var connection = await ClusterConnector.ConnectAsync(cluster, stopping);
                _connections[cluster] = connection;
                // Discovered values fill in what the model leaves open; explicit ones win.
                cluster.IngressAddress ??= connection.IngressAddress;
                await notifications.PublishUpdateAsync(cluster, s => s with
                {
                    State = new ResourceStateSnapshot(KnownResourceStates.Running, KnownResourceStateStyles.Success),
                    StartTimeStamp = DateTime.UtcNow,
                    Properties = s.Properties
                        .With(LocalTlsProperties.Server, connection.Server.ToString())
                        .With(LocalTlsProperties.Context, connection.Context)
                        .With(LocalTlsProperties.KubernetesVersion, connection.Version)
                        .With(LocalTlsProperties.Nodes, connection.Nodes)
                        .With(LocalTlsProperties.IngressClass, cluster.IngressClassName)
                        .With(LocalTlsProperties.DiscoveredIngressClass, connection.IngressClass ?? "none")
                        .With(LocalTlsProperties.IngressAddress, cluster.IngressAddress?.ToString())
                        .With(LocalTlsProperties.Problem, null),
                });
                foreach (var host in model.Resources.OfType<SslipHostnameResource>().Where(h => h.Cluster == cluster && h.Hostname is not null))
                {
                    await notifications.PublishUpdateAsync(host, s => s with
                    {
                        State = new ResourceStateSnapshot(KnownResourceStates.Active, KnownResourceStateStyles.Success),
                        Urls = [new UrlSnapshot("https", $"https://{host.Hostname}", IsInternal: false)],
                        Properties = s.Properties.With(LocalTlsProperties.Hostname, host.Hostname),
                    });
                }

                return connection;
            }
            catch (ClusterUnavailableException ex)
            {
                await notifications.PublishUpdateAsync(cluster, s => s with
                {
                    State = new ResourceStateSnapshot(KnownResourceStates.FailedToStart, KnownResourceStateStyles.Error),
                    Properties = s.Properties.With(LocalTlsProperties.Problem, ex.Message),
                });
                logger.LogWarning("{Problem} Retrying in {Interval}.", ex.Message, RetryInterval);
                await Task.Delay(RetryInterval, stopping);
            }
        }
    }

    private async Task ProvisionAsync(KubeconfigClusterResource cluster, ClusterConnection connection, DistributedApplicationModel model, CancellationToken stopping)
    {
        var cas = model.Resources.OfType<StepCaResource>().Where(c => c.Cluster == cluster).ToList();
        var passwords = new Dictionary<StepCaResource, string?>();
        foreach (var ca in cas)
        {
            passwords[ca] = ca.KeyPassword is null ? null : await ca.KeyPassword.GetValueAsync(stopping);
        }

        if (cluster.SslipDns)
        {
            await ApplyCoreDnsOverrideAsync(cluster, connection.Client, stopping);
        }

        var resources = model.Resources.Where(r => r is not StepCaResource ca || ca.Cluster == cluster).ToList();
        var set = ClusterManifests.Render(resources, production: false, ca => StepCaMaterial.Load(ca), ca => passwords[ca]);
        var caObjects = set.Objects.Where(o => o is not (CertManager.ClusterIssuer or CertManager.Issuer or CertManager.Certificate or V1Ingress)).ToList();
        var issuerObjects = set.Objects.Where(o => o is CertManager.ClusterIssuer or CertManager.Issuer).ToList();
        var rest = set.Objects.Except(caObjects).Except(issuerObjects).ToList();

        foreach (var ca in cas)
        {
            await notifications.PublishUpdateAsync(ca, s => s with
            {
                State = new ResourceStateSnapshot("Applying", KnownResourceStateStyles.Info),
                Properties = s.Properties.With(LocalTlsProperties.AcmeDirectory, StepCaConfig.AcmeDirectoryUrl(ca.ClusterUrl, ca.DefaultProvisionerName).ToString()),
            });
        }

        // What is there already: an unchanged object is not sent again, and what left the model is pruned below.
        var inventory = cluster.AppIdentity is { } identity ? await ClusterInventory.ReadAsync(connection.Client, identity, stopping) : null;
        foreach (var obj in caObjects.Where(o => inventory?.IsCurrent(ClusterInventory.ToApply(o)) != true))
        {
            await ApplyAsync(connection.Client, obj, stopping);
        }

        foreach (var ca in cas)
        {
            await WaitForStepCaAsync(connection.Client, ca, stopping);
            // Its log and its pods are followed for as long as the app runs (once: a new provisioning pass replaces them),
            // so a step-ca that starts crashing after it ran shows at once.
            var follow = Follow(ca, stopping);
            _ = Task.Run(() => StreamLogsAsync(connection.Client, ca, follow), CancellationToken.None);
            _ = Task.Run(() => WatchPodStateAsync(connection.Client, ca, follow), CancellationToken.None);
        }

        var issuers = model.Resources.OfType<AcmeIssuerResource>().Where(i => i.Ca is null || i.Ca.Cluster == cluster).ToList();
        var certificates = model.Resources.OfType<CertificateResource>().Where(c => c.HostDirectory is null && c.Issuer is not null).ToList();
        if (cluster.CertManagerInstallVersion is { } version)
        {
            await InstallCertManagerAsync(cluster, connection.Client, version, [.. issuers, .. certificates], stopping);
        }

        var certManagerVersion = cluster.CertManagerInstallVersion ?? CertManagerInstall.DefaultVersion;
        await WaitForAsync(ct => CertManagerProblemAsync(connection.Client, certManagerVersion, ct), [.. issuers, .. certificates], stopping);
        // Without the ingress controller the HTTP-01 solver uses, cert-manager would fail the challenges and back off for hours.
        await WaitForAsync(ct => ClusterConnector.IngressProblemAsync(connection.Client, ClusterConnector.IngressClassesUsed(set.Objects), ct), [.. issuers, .. certificates], stopping);
        if (connection.IngressClass is null)
        {
            // One appeared while waiting: show it as discovery would have found it.
            var discovered = await ClusterConnector.DiscoverIngressClassAsync(connection.Client, stopping);
            await notifications.PublishUpdateAsync(cluster, s => s with { Properties = s.Properties.With(LocalTlsProperties.DiscoveredIngressClass, discovered ?? "none") });
        }

        foreach (var obj in issuerObjects.Concat(rest).Where(o => inventory?.IsCurrent(ClusterInventory.ToApply(o)) != true))
        {
            await ApplyAsync(connection.Client, obj, stopping);
        }

        if (inventory is not null)
        {
            var pruned = await inventory.PruneAsync(connection.Client, set.Objects, logger, stopping);
            if (pruned.Count > 0)
            {
                logger.LogInformation("Deleted from '{Cluster}' what left the model: {Objects}.", cluster.Name, string.Join(", ", pruned));
            }
        }

        foreach (var issuer in issuers)
        {
            await notifications.PublishUpdateAsync(issuer, s => s with { State = new ResourceStateSnapshot("Pending", KnownResourceStateStyles.Info), Properties = s.Properties.With(LocalTlsProperties.Problem, null) });
        }

        foreach (var certificate in certificates)
        {
            await notifications.PublishUpdateAsync(certificate, s => s with { State = new ResourceStateSnapshot("Issuing", KnownResourceStateStyles.Info), Properties = s.Properties.With(LocalTlsProperties.Problem, null) });
        }

        var watcher = new ClusterStatusWatcher(connection.Client, notifications, logger);
        await Task.WhenAll(
            watcher.WatchIssuersAsync(issuers, stopping),
            watcher.WatchCertificatesAsync(certificates, stopping));
    }

    /// <summary>WithSslipDns: LocalTls's server block in k3s's CoreDNS, and on the cluster resource what that means.</summary>
    private async Task ApplyCoreDnsOverrideAsync(KubeconfigClusterResource cluster, IKubernetes client, CancellationToken stopping)
    {
        CoreDnsOverrideState state;
        try
        {
            state = await CoreDnsOverride.EnsureAsync(client, cluster.IngressClassName, stopping);
        }
        catch (HttpOperationException ex) when (ex.Response.StatusCode == HttpStatusCode.Forbidden)
        {
            state = new(false, $"Not applied: the credentials may not read or write kube-system ({Shorten(StatusMessage(ex.Response.Content) ?? ex.Message)}). Use a context with cluster-admin rights, or leave out WithSslipDns().");
        }

        if (state.InPlace)
        {
            logger.LogInformation("CoreDNS override on '{Cluster}': {Summary}", cluster.Name, state.Summary);
        }
        else
        {
            logger.LogWarning("CoreDNS override on '{Cluster}': {Summary}", cluster.Name, state.Summary);
        }

        await notifications.PublishUpdateAsync(cluster, s => s with { Properties = s.Properties.With(LocalTlsProperties.CoreDnsOverride, state.Summary) });
    }

    /// <summary>Server-side apply of one rendered object (with the hash of what is applied); force only on objects carrying LocalTls's managed-by label.</summary>
    internal static async Task<string?> ApplyAsync(IKubernetes client, IKubernetesObject obj, CancellationToken cancellationToken)
    {
        var json = ClusterInventory.ToApply(obj);
        var name = (string)json["metadata"]!["name"]!;
        var ns = (string?)json["metadata"]!["namespace"];
        var ours = (string?)json["metadata"]?["labels"]?["app.kubernetes.io/managed-by"] == StepCaKubernetesRenderer.ManagedBy;
        var patch = new V1Patch(json.ToJsonString(), V1Patch.PatchType.ApplyPatch);
        bool? force = ours ? true : null;
        return obj switch
        {
            V1Namespace => (await client.CoreV1.PatchNamespaceAsync(patch, name, fieldManager: FieldManager, force: force, cancellationToken: cancellationToken)).Metadata.ResourceVersion,
            V1ConfigMap => (await client.CoreV1.PatchNamespacedConfigMapAsync(patch, name, ns, fieldManager: FieldManager, force: force, cancellationToken: cancellationToken)).Metadata.ResourceVersion,
            V1Secret => (await client.CoreV1.PatchNamespacedSecretAsync(patch, name, ns, fieldManager: FieldManager, force: force, cancellationToken: cancellationToken)).Metadata.ResourceVersion,
            V1PersistentVolumeClaim => (await client.CoreV1.PatchNamespacedPersistentVolumeClaimAsync(patch, name, ns, fieldManager: FieldManager, force: force, cancellationToken: cancellationToken)).Metadata.ResourceVersion,
            V1Service => (await client.CoreV1.PatchNamespacedServiceAsync(patch, name, ns, fieldManager: FieldManager, force: force, cancellationToken: cancellationToken)).Metadata.ResourceVersion,
            V1Deployment => (await client.AppsV1.PatchNamespacedDeploymentAsync(patch, name, ns, fieldManager: FieldManager, force: force, cancellationToken: cancellationToken)).Metadata.ResourceVersion,
            V1Ingress => (await client.NetworkingV1.PatchNamespacedIngressAsync(patch, name, ns, fieldManager: FieldManager, force: force, cancellationToken: cancellationToken)).Metadata.ResourceVersion,
            _ => await ApplyCustomAsync(client, json, patch, name, ns, force, cancellationToken),
        };
    }

    private static async Task<string?> ApplyCustomAsync(IKubernetes client, JsonObject json, V1Patch patch, string name, string? ns, bool? force, CancellationToken cancellationToken)
    {
        var (group, version) = SplitApiVersion((string)json["apiVersion"]!);
        var plural = ((string)json["kind"]!).ToLowerInvariant() + "s";
        var result = ns is null
            ? await client.CustomObjects.PatchClusterCustomObjectAsync(patch, group, version, plural, name, fieldManager: FieldManager, force: force, cancellationToken: cancellationToken)
            : await client.CustomObjects.PatchNamespacedCustomObjectAsync(patch, group, version, ns, plural, name, fieldManager: FieldManager, force: force, cancellationToken: cancellationToken);
        return (string?)JsonNode.Parse(KubernetesJson.Serialize(result))?["metadata"]?["resourceVersion"];
    }

    internal static (string Group, string Version) SplitApiVersion(string apiVersion)
    {
        var parts = apiVersion.Split('/');
        return parts.Length == 2 ? (parts[0], parts[1]) : ("", parts[0]);
    }

    /// <summary>Waits for the Deployment's rollout (by watch), then for <c>/health</c> through the service proxy.</summary>
    private async Task WaitForStepCaAsync(IKubernetes client, StepCaResource ca, CancellationToken stopping)
    {
        _rolledOut[ca] = false;
        await notifications.PublishUpdateAsync(ca, s => s with { State = new ResourceStateSnapshot(RollingOut, KnownResourceStateStyles.Info) });
        var deployment = await client.AppsV1.ReadNamespacedDeploymentAsync(ca.ServiceName, ca.Namespace, cancellationToken: stopping);
        // A crash loop never changes the Deployment (no replica gets ready): its pods are watched meanwhile.
        using var rollout = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        var podStates = RolledOut(deployment) ? Task.CompletedTask : Task.Run(() => WatchPodStateAsync(client, ca, rollout.Token), CancellationToken.None);
        try
        {
            while (!RolledOut(deployment))
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stopping);
                timeout.CancelAfter(RetryInterval * 6);
                try
                {
                    await foreach (var (_, changed) in client.AppsV1.WatchListNamespacedDeploymentAsync(ca.Namespace, fieldSelector: $"metadata.name={ca.ServiceName}", resourceVersion: deployment.Metadata.ResourceVersion, cancellationToken: timeout.Token))
                    {
                        deployment = changed;
                        if (RolledOut(deployment))
                        {
                            break;
                        }
                    }
                }
                catch (OperationCanceledException) when (!stopping.IsCancellationRequested)
                {
                    deployment = await client.AppsV1.ReadNamespacedDeploymentAsync(ca.ServiceName, ca.Namespace, cancellationToken: stopping);
                    await PublishPodStateAsync(client, ca, stopping);
                }
            }
        }
        finally
        {
            await rollout.CancelAsync();
            await podStates;
        }

        string? problem = null;
        while (true)
        {
            try
            {
                using var stream = await client.CoreV1.ConnectGetNamespacedServiceProxyWithPathAsync($"https:{ca.ServiceName}:{ca.Port}", ca.Namespace, "health", cancellationToken: stopping);
                using var reader = new StreamReader(stream, Encoding.UTF8);
                var body = await reader.ReadToEndAsync(stopping);
                if (body.Contains("\"ok\"", StringComparison.Ordinal))
                {
                    break;
                }

                problem = $"step-ca answered /health with {body.Trim()}";
            }
            catch (HttpOperationException ex)
            {
                problem = $"step-ca's /health through the service proxy answered {(int)ex.Response.StatusCode}: {StatusMessage(ex.Response.Content)}";
            }

            await notifications.PublishUpdateAsync(ca, s => s with { State = new ResourceStateSnapshot("Unhealthy", KnownResourceStateStyles.Warn), Properties = s.Properties.With(LocalTlsProperties.Problem, problem) });
            await Task.Delay(RetryInterval, stopping);
        }

        await PublishPodStateAsync(client, ca, stopping);
        _rolledOut[ca] = true;
        await notifications.PublishUpdateAsync(ca, s => s with
        {
            State = new ResourceStateSnapshot(KnownResourceStates.Running, KnownResourceStateStyles.Success),
            StartTimeStamp = DateTime.UtcNow,
            Properties = s.Properties
                .With(LocalTlsProperties.Image, deployment.Spec.Template.Spec.Containers.FirstOrDefault()?.Image)
                .With(LocalTlsProperties.Namespace, ca.Namespace)
                .With(LocalTlsProperties.Fingerprint, StepCaMaterial.Load(ca).RootFingerprint)
                .With(LocalTlsProperties.Problem, null),
        });
    }

    /// <summary>step-ca's pod log in the CA's console log (the seed's "checking step-ca logs"), following the pod that runs now.</summary>
    private async Task StreamLogsAsync(IKubernetes client, StepCaResource ca, CancellationToken stopping)
    {
        var log = resourceLoggers.GetLogger(ca);
        string? following = null;
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                var pods = await client.CoreV1.ListNamespacedPodAsync(ca.Namespace, labelSelector: $"app.kubernetes.io/instance={ca.Name}", cancellationToken: stopping);
                var pod = pods.Items.Where(p => p.Status?.Phase == "Running").OrderByDescending(p => p.Metadata.CreationTimestamp).FirstOrDefault();
                if (pod is not null)
                {
                    // Only the lines since the last pod followed, so a reconnect does not repeat the whole log.
                    var since = following == pod.Metadata.Name ? 5 : (int?)null;
                    following = pod.Metadata.Name;
                    using var stream = await client.CoreV1.ReadNamespacedPodLogAsync(pod.Metadata.Name, ca.Namespace, follow: true, sinceSeconds: since, cancellationToken: stopping);
                    using var reader = new StreamReader(stream);
                    while (await reader.ReadLineAsync(stopping) is { } line)
                    {
                        log.LogInformation("{Line}", line);
                    }
                }
            }
            catch (Exception ex) when (ex is HttpOperationException or HttpRequestException or IOException)
            {
                logger.LogDebug("step-ca's log stream for '{Ca}' ended: {Message}", ca.Name, ex.Message);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            await Task.Delay(RetryInterval, stopping).ContinueWith(_ => { }, TaskScheduler.Default);
        }
    }

    private static bool RolledOut(V1Deployment d) =>
        d.Status is { } status && status.ObservedGeneration >= d.Metadata.Generation && (status.ReadyReplicas ?? 0) >= (d.Spec.Replicas ?? 1) && (status.UpdatedReplicas ?? 0) >= (d.Spec.Replicas ?? 1);

    private const string RollingOut = "Rolling out";

    /// <summary>The state a crash-looping step-ca shows while the rollout waits, as <c>kubectl get pods</c> names it.</summary>
    internal const string CrashLoopBackOff = "CrashLoopBackOff";

    /// <summary>Each change of step-ca's pods is shown at once (during the rollout, and after it while the app runs); a dropped watch is started again.</summary>
    private async Task WatchPodStateAsync(IKubernetes client, StepCaResource ca, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                var version = await PublishPodStateAsync(client, ca, cancellationToken);
                await foreach (var _ in client.CoreV1.WatchListNamespacedPodAsync(ca.Namespace, labelSelector: $"app.kubernetes.io/instance={ca.Name}", resourceVersion: version, cancellationToken: cancellationToken))
                {
                    await PublishPodStateAsync(client, ca, cancellationToken);
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is HttpOperationException or HttpRequestException or IOException or KubernetesException)
            {
                logger.LogDebug("Watching step-ca's pods for '{Ca}' ended: {Message}", ca.Name, ex.Message);
            }

            await Task.Delay(RetryInterval, cancellationToken).ContinueWith(_ => { }, TaskScheduler.Default);
        }
    }

    /// <summary>The newest pod's name, phase and restarts; a container that keeps exiting is shown as <see cref="CrashLoopBackOff"/> with its last log line. Returns the list's resourceVersion.</summary>
    private async Task<string?> PublishPodStateAsync(IKubernetes client, StepCaResource ca, CancellationToken stopping)
    {
        var pods = await client.CoreV1.ListNamespacedPodAsync(ca.Namespace, labelSelector: $"app.kubernetes.io/instance={ca.Name}", cancellationToken: stopping);
        var pod = pods.Items.OrderByDescending(p => p.Metadata.CreationTimestamp).FirstOrDefault();
        var container = pod?.Status?.ContainerStatuses?.FirstOrDefault();
        var crashing = container is not null && (container.State?.Waiting?.Reason == CrashLoopBackOff
            || container.State?.Terminated is { ExitCode: not 0 }
            || (container.RestartCount > 0 && !container.Ready));
        var problem = crashing ? await CrashProblemAsync(client, pod!, container!, stopping) : null;
        await notifications.PublishUpdateAsync(ca, s =>
        {
            var properties = s.Properties
                .With(LocalTlsProperties.Pod, pod?.Metadata.Name)
                .With(LocalTlsProperties.PodPhase, pod?.Status?.Phase)
                .With(LocalTlsProperties.Restarts, container?.RestartCount);
            if (crashing)
            {
                return s with { State = new ResourceStateSnapshot(CrashLoopBackOff, KnownResourceStateStyles.Error), Properties = properties.With(LocalTlsProperties.Problem, problem) };
            }

            // Out of the crash loop: Running again once its container is ready, if it had run; else the rollout goes on.
            if (s.State?.Text != CrashLoopBackOff)
            {
                return s with { Properties = properties };
            }

            return _rolledOut.GetValueOrDefault(ca) && container?.Ready == true
                ? s with { State = new ResourceStateSnapshot(KnownResourceStates.Running, KnownResourceStateStyles.Success), Properties = properties.With(LocalTlsProperties.Problem, null) }
                : _rolledOut.GetValueOrDefault(ca)
                    ? s with { Properties = properties }
                    : s with { State = new ResourceStateSnapshot(RollingOut, KnownResourceStateStyles.Info), Properties = properties.With(LocalTlsProperties.Problem, null) };
        });
        return pods.Metadata?.ResourceVersion;
    }

    /// <summary>What a person needs from a crash loop at a glance: restarts, the exit code and the exited run's last log line.</summary>
    private static async Task<string> CrashProblemAsync(IKubernetes client, V1Pod pod, V1ContainerStatus container, CancellationToken stopping)
    {
        var exited = container.State?.Terminated ?? container.LastState?.Terminated;
        string? lastLine = null;
        // The failure is in the exited run's log; before the first restart there is no previous one yet.
        foreach (var previous in new bool?[] { true, null })
        {
            try
            {
                using var stream = await client.CoreV1.ReadNamespacedPodLogAsync(pod.Metadata.Name, pod.Metadata.NamespaceProperty, container: container.Name, tailLines: 5, previous: previous, cancellationToken: stopping);
                using var reader = new StreamReader(stream, Encoding.UTF8);
                lastLine = (await reader.ReadToEndAsync(stopping)).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault();
                if (lastLine is not null)
                {
                    break;
                }
            }
            catch (HttpOperationException)
            {
            }
        }

        return $"step-ca keeps exiting ({container.RestartCount} restarts" +
            (exited is null ? "" : $", last exit code {exited.ExitCode}") + ")" +
            (lastLine is null ? "" : $": {lastLine}") +
            $". Its log: 'kubectl -n {pod.Metadata.NamespaceProperty} logs {pod.Metadata.Name} --previous'; Diagnose on this resource says more.";
    }

    /// <summary>
    /// WithCertManagerInstall: when cert-manager is not there (or not ready), apply that release's manifest; a failed
    /// download or a refused document is shown on the waiting resources and tried again. A cert-manager installed
    /// otherwise, or one that already answers, is left alone, whatever its version, so a re-run changes nothing.
    /// </summary>
    private async Task InstallCertManagerAsync(KubeconfigClusterResource cluster, IKubernetes client, string version, IReadOnlyList<IResource> waiting, CancellationToken stopping)
    {
        while (true)
        {
            if (await CertManagerInstall.SkipReasonAsync(client, version, stopping) is { } skip)
            {
                await notifications.PublishUpdateAsync(cluster, s => s with { Properties = s.Properties.With(LocalTlsProperties.CertManager, skip) });
                return;
            }

            var url = CertManagerInstall.ManifestUrl(version);
            await notifications.PublishUpdateAsync(cluster, s => s with { Properties = s.Properties.With(LocalTlsProperties.CertManager, $"installing v{version} from {url}") });
            try
            {
                var documents = CertManagerInstall.Parse(await CertManagerInstall.DownloadAsync(version, stopping), version);
                var applied = await CertManagerInstall.ApplyAsync(client, documents, version, stopping);
                logger.LogInformation("Applied cert-manager v{Version} ({Count} objects from {Url}) to '{Cluster}'.", version, applied, url, cluster.Name);
                await notifications.PublishUpdateAsync(cluster, s => s with { Properties = s.Properties.With(LocalTlsProperties.CertManager, $"v{version} applied ({applied} objects from {url})") });
                return;
            }
            catch (CertManagerInstallException ex)
            {
                logger.LogWarning("{Problem}", ex.Message);
                await notifications.PublishUpdateAsync(cluster, s => s with { Properties = s.Properties.With(LocalTlsProperties.CertManager, ex.Message) });
                foreach (var resource in waiting)
                {
                    await notifications.PublishUpdateAsync(resource, s => s with
                    {
                        State = ex.Refused
                            ? new ResourceStateSnapshot(KnownResourceStates.FailedToStart, KnownResourceStateStyles.Error)
                            : new ResourceStateSnapshot(KnownResourceStates.Waiting, KnownResourceStateStyles.Info),
                        Properties = s.Properties.With(LocalTlsProperties.Problem, ex.Message),
                    });
                }
            }

            await Task.Delay(RetryInterval, stopping);
        }
    }

    /// <summary>Shows <c>Waiting</c> with the problem on the waiting resources until there is none, checking every <see cref="RetryInterval"/>.</summary>
    private async Task WaitForAsync(Func<CancellationToken, Task<string?>> check, IReadOnlyList<IResource> waiting, CancellationToken stopping)
    {
        string? last = null;
        while (true)
        {
            var problem = await check(stopping);
            if (problem is null)
            {
                return;
            }

            if (problem != last)
            {
                logger.LogWarning("{Problem}", problem);
                foreach (var resource in waiting)
                {
                    await notifications.PublishUpdateAsync(resource, s => s with
                    {
                        State = new ResourceStateSnapshot(KnownResourceStates.Waiting, KnownResourceStateStyles.Info),
                        Properties = s.Properties.With(LocalTlsProperties.Problem, problem),
                    });
                }

                last = problem;
            }

            await Task.Delay(RetryInterval, stopping);
        }
    }

    internal static Task<string?> CertManagerProblemAsync(IKubernetes client, CancellationToken cancellationToken) =>
        CertManagerProblemAsync(client, CertManagerInstall.DefaultVersion, cancellationToken);

    /// <summary>What keeps cert-manager from being usable, or <see langword="null"/>; a missing install names the command for <paramref name="version"/>.</summary>
    internal static async Task<string?> CertManagerProblemAsync(IKubernetes client, string version, CancellationToken cancellationToken)
    {
        foreach (var crd in new[] { "certificates.cert-manager.io", "clusterissuers.cert-manager.io", "issuers.cert-manager.io", "certificaterequests.cert-manager.io" })
        {
            try
            {
                var found = await client.ApiextensionsV1.ReadCustomResourceDefinitionAsync(crd, cancellationToken: cancellationToken);
                if (found.Status?.Conditions?.Any(c => c.Type == "Established" && c.Status == "True") != true)
                {
                    return $"Waiting for cert-manager: the CRD {crd} is not Established yet.";
                }
            }
            catch (HttpOperationException ex) when (ex.Response.StatusCode == HttpStatusCode.NotFound)
            {
                return $"Waiting for cert-manager: it is not installed (no CRD {crd}). Install it with: {CertManagerInstall.Command(version)}";
            }
        }

        var request = new JsonObject
        {
            ["apiVersion"] = "cert-manager.io/v1",
            ["kind"] = "CertificateRequest",
            ["metadata"] = new JsonObject { ["generateName"] = "localtls-check-", ["namespace"] = "default" },
            ["spec"] = new JsonObject
            {
                ["issuerRef"] = new JsonObject { ["name"] = "localtls-check", ["kind"] = "ClusterIssuer" },
                ["request"] = Convert.ToBase64String(Encoding.ASCII.GetBytes(DryRunCsr())),
            },
        };
        // A webhook that hangs reads as Waiting too, not as a provisioning stuck without a word.
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(WebhookTimeout);
        try
        {
            var created = await client.CustomObjects.CreateNamespacedCustomObjectAsync(request, "cert-manager.io", "v1", "default", "certificaterequests", dryRun: "All", fieldManager: FieldManager, cancellationToken: timeout.Token);
            var spec = JsonNode.Parse(KubernetesJson.Serialize(created))?["spec"];
            return spec?["username"] is null
                ? "Waiting for cert-manager: its webhook did not fill in the request's user fields yet (the webhook is not running or its configuration is not registered). Check 'kubectl -n cert-manager get pods'."
                : null;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return $"Waiting for cert-manager: its webhook did not answer a dry-run CertificateRequest within {WebhookTimeout.TotalSeconds:0} s (it is starting or overloaded). Check 'kubectl -n cert-manager get pods'.";
        }
        catch (HttpOperationException ex)
        {
            var text = StatusMessage(ex.Response.Content) ?? ex.Message;
            return text.Contains("x509", StringComparison.OrdinalIgnoreCase)
                ? $"Waiting for cert-manager: its webhook's CA bundle is not injected yet ({Shorten(text)}). This settles within a minute of installing cert-manager."
                : text.Contains("connection refused", StringComparison.OrdinalIgnoreCase) || text.Contains("no endpoints", StringComparison.OrdinalIgnoreCase) || text.Contains("not found", StringComparison.OrdinalIgnoreCase)
                    ? $"Waiting for cert-manager: its webhook is not answering ({Shorten(text)}). Check 'kubectl -n cert-manager get pods'."
                    : $"Waiting for cert-manager: the dry-run CertificateRequest was refused ({Shorten(text)}).";
        }
    }

    /// <summary>The message of a Kubernetes <c>Status</c> body (what a person should read), else the body as it came.</summary>
    internal static string? StatusMessage(string? content)
    {
        try
        {
            return content is { Length: > 0 } && JsonNode.Parse(content) is JsonObject { } status && (string?)status["kind"] == "Status" && (string?)status["message"] is { Length: > 0 } message
                ? message
                : content;
        }
        catch (System.Text.Json.JsonException)
        {
            return content;
        }
    }

    private static string Shorten(string text) => text.Length > 300 ? text[..300] + "…" : text;

    // A throwaway CSR for the dry run only: the webhook checks that spec.request parses as a PEM CSR.
    private static string DryRunCsr()
    {
        using var key = System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP256);
        return new System.Security.Cryptography.X509Certificates.CertificateRequest("CN=localtls-check", key, System.Security.Cryptography.HashAlgorithmName.SHA256).CreateSigningRequestPem();
    }

    /// <summary>cmctl renew's semantics: the Issuing condition set to True through the status subresource.</summary>
    internal static async Task RequestRenewalAsync(IKubernetes client, CertificateResource certificate, CancellationToken cancellationToken)
    {
        var current = JsonNode.Parse(KubernetesJson.Serialize(await client.CustomObjects.GetNamespacedCustomObjectStatusAsync("cert-manager.io", "v1", certificate.Namespace, "certificates", certificate.Name, cancellationToken)))!.AsObject();
        var status = current["status"] as JsonObject ?? new JsonObject();
        var conditions = status["conditions"] as JsonArray ?? new JsonArray();
        foreach (var existing in conditions.Where(c => (string?)c?["type"] == "Issuing").ToList())
        {
            conditions.Remove(existing);
        }

        conditions.Add(new JsonObject
        {
            ["type"] = "Issuing",
            ["status"] = "True",
            ["reason"] = "ManuallyTriggered",
            ["message"] = "Certificate re-issuance manually triggered",
            ["lastTransitionTime"] = DateTime.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture),
        });
        status["conditions"] = conditions;
        current["status"] = status;
        await client.CustomObjects.ReplaceNamespacedCustomObjectStatusAsync(current, "cert-manager.io", "v1", certificate.Namespace, "certificates", certificate.Name, cancellationToken: cancellationToken);
    }
}
