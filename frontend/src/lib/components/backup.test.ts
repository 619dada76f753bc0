import { describe, expect, it, vi } from 'vitest';
import { render, screen, fireEvent } from '@testing-library/svelte';
import BackupBox from './BackupBox.svelte';

describe('BackupBox', () => {
  it('exports without logins, and with logins only after a confirmed passphrase', async () => {
    const exportBackup = vi.fn(async () => ({ path: '/tmp/b.json', export: { settings: 3, accounts: 2, logins: 2 } }));
    render(BackupBox, { exportBackup, importBackup: vi.fn() });
    await fireEvent.click(screen.getByRole('button', { name: 'Export…' }));
    expect(exportBackup).toHaveBeenLastCalledWith('');
    await fireEvent.click(screen.getByLabelText(/Include the saved logins/));
    const button = screen.getByRole('button', { name: 'Export…' });
    expect(button).toBeDisabled();
    await fireEvent.input(screen.getByLabelText('Passphrase'), { target: { value: 'correct horse' } });
    await fireEvent.input(screen.getByLabelText('Again'), { target: { value: 'correct horse' } });
    expect(button).not.toBeDisabled();
    await fireEvent.click(button);
    expect(exportBackup).toHaveBeenLastCalledWith('correct horse');
    expect(await screen.findByRole('status')).toHaveTextContent('Saved 2 accounts and 2 logins to /tmp/b.json.');
  });

  it('shows a wrong passphrase as an error and stays quiet on cancel', async () => {
    const importBackup = vi
      .fn()
      .mockRejectedValueOnce(new Error('the passphrase is wrong or the file was altered; nothing was imported'))
      .mockRejectedValueOnce(new Error('cancelled'));
    render(BackupBox, { exportBackup: vi.fn(), importBackup });
    await fireEvent.click(screen.getByRole('button', { name: 'Import…' }));
    expect(await screen.findByRole('alert')).toHaveTextContent('nothing was imported');
    await fireEvent.click(screen.getByRole('button', { name: 'Import…' }));
    await vi.waitFor(() => expect(screen.queryByRole('alert')).toBeNull());
  });
});
