using Aspire.Hosting.ApplicationModel;
using LocalTls.Pki;

namespace LocalTls.StepCa;

/// <summary>Loads the CA material of a <see cref="StepCaResource"/> from its CA store: imported, existing or created once.</summary>
internal static class StepCaMaterial
{
    public static CaMaterial Load(StepCaResource ca, TimeProvider? time = null)
    {
        var store = new CaStore(ca.CaStoreDirectory);
        if (ca.Import is { } import)
        {
            var imported = CaStore.Read(
                File.ReadAllText(import.RootCertificatePath),
                import.RootKeyPath is null ? null : File.ReadAllText(import.RootKeyPath),
                import.IntermediateCertificatePath is null ? null : File.ReadAllText(import.IntermediateCertificatePath),
                import.IntermediateKeyPath is null ? null : File.ReadAllText(import.IntermediateKeyPath),
                password: null, time, ca.CaOptions);
            if (store.Exists)
            {
                var current = store.Load(time);
                // The store is shared by every app of this user: never replace another CA without a word.
                return current.RootFingerprint == imported.RootFingerprint
                    ? current
                    : throw new PkiException($"WithImportedCa: the CA store {store.Directory} already holds another CA (root fingerprint {current.RootFingerprint}; the import's is {imported.RootFingerprint}). Give the imported CA its own store with WithCaStore(\"./.localtls\"), or replace the stored CA deliberately with 'localtls ca import --root ... --force'.");
            }

            // Under the store's lock, so two AppHosts starting together cannot both write it.
            return store.Import(imported.RootCertificatePem, imported.RootKeyPem, imported.IntermediateCertificatePem, imported.IntermediateKeyPem, options: ca.CaOptions, time: time);
        }

        return store.LoadOrCreate(ca.CaOptions, time: time);
    }
}
