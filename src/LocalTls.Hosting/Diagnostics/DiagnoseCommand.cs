using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using k8s.Autorest;
using LocalTls.Cluster;
using Microsoft.Extensions.Logging;

namespace LocalTls.Diagnostics;

/// <summary>
/// The dashboard's <b>Diagnose</b> on an in-cluster CA, issuer and certificate: the checks of <c>localtls doctor</c>
/// scoped to that resource, the findings in the command's result and in the resource's console log.
/// </summary>
internal static class DiagnoseCommand
{
    public const string Name = "localtls-diagnose";

    public static void Wire(IDistributedApplicationBuilder builder, DistributedApplicationModel model, ClusterTarget target, ResourceLoggerService loggers)
    {
        var clusters = model.Resources.OfType<KubeconfigClusterResource>().ToList();
        if (clusters.Count == 0)
        {
            return;
        }

        foreach (var ca in model.Resources.OfType<StepCaResource>().Where(c => c.Cluster is not null))
        {
            Add(builder.CreateResourceBuilder(ca), ca.Cluster!, new DiagnosisScope { StepCa = (ca.Namespace, ca.ServiceName) },
                "Check step-ca in the cluster: its pod (restarts, last log lines), /health through the API server, and that the issuers' caBundle holds the root it serves.", target, loggers);
        }

        foreach (var issuer in model.Resources.OfType<AcmeIssuerResource>().Where(i => i.Ca is null || i.Ca.Cluster is not null))
        {
            Add(builder.CreateResourceBuilder(issuer), issuer.Ca?.Cluster ?? clusters[0], new DiagnosisScope { Issuer = (issuer.Kind.ToString(), issuer.Namespace, issuer.Name) },
                "Check this issuer: cert-manager, its Ready condition and why, its caBundle against step-ca's root, its solver's ingress class.", target, loggers);
        }

        foreach (var certificate in model.Resources.OfType<CertificateResource>().Where(c => c.HostDirectory is null && c.Issuer is not null))
        {
            var cluster = certificate.Hostnames.Select(h => h.Cluster).FirstOrDefault(c => c is not null) ?? certificate.Issuer?.Ca?.Cluster ?? clusters[0];
            Add(builder.CreateResourceBuilder(certificate), cluster, new DiagnosisScope { Certificate = (certificate.Namespace, certificate.Name) },
                "Check this certificate: its CertificateRequest → Order → Challenge chain, events and back-off, the solver's Ingress, its issuer, the CoreDNS override and the clock.", target, loggers);
        }
    }

    private static void Add<T>(IResourceBuilder<T> resource, KubeconfigClusterResource cluster, DiagnosisScope scope, string description, ClusterTarget target, ResourceLoggerService loggers)
        where T : IResource =>
        resource.WithCommand(Name, "Diagnose", async context =>
        {
            if (target.Connection(cluster) is not { } connection)
            {
                return CommandResults.Failure($"The cluster '{cluster.Name}' is not connected yet; its state says why.");
            }

            IReadOnlyList<Finding> findings;
            try
            {
                findings = await new ClusterDiagnosis(connection.Client).RunAsync(scope, context.CancellationToken);
            }
            catch (Exception ex) when (ex is HttpOperationException or HttpRequestException)
            {
                var answer = ex is HttpOperationException http ? $"{(int)http.Response.StatusCode}: {http.Response.Content}" : ex.Message;
                return CommandResults.Failure($"The API server could not be read while diagnosing ({answer}).");
            }

            Log(loggers.GetLogger(resource.Resource), findings);
            var action = findings.Where(f => f.NeedsAction).ToList();
            if (findings.Count == 0)
            {
                return CommandResults.Success("Diagnose found no problem.");
            }

            var report = FindingReport.Markdown(findings);
            return action.Count == 0
                ? CommandResults.Success($"Nothing needs action: {findings[0].Summary}", report, CommandResultFormat.Markdown)
                : CommandResults.Failure($"{action.Count} problem{(action.Count == 1 ? "" : "s")}: {action[0].Summary}", report, CommandResultFormat.Markdown);
        }, new CommandOptions
        {
            Description = description,
            IconName = "Stethoscope",
            UpdateState = _ => ResourceCommandState.Enabled,
        });

    private static void Log(ILogger log, IReadOnlyList<Finding> findings)
    {
        if (findings.Count == 0)
        {
            log.LogInformation("Diagnose: no problem found.");
            return;
        }

        foreach (var finding in findings)
        {
            var level = finding.Severity switch
            {
                FindingSeverity.Error => LogLevel.Error,
                FindingSeverity.Warning => LogLevel.Warning,
                _ => LogLevel.Information,
            };
            log.Log(level, "Diagnose {Code} ({Object}): {Summary}", finding.Code, finding.Object, finding.Summary);
            foreach (var line in finding.Evidence)
            {
                log.Log(level, "  | {Evidence}", line);
            }

            log.Log(level, "  fix: {Remedy}", finding.Remedy);
        }
    }
}
